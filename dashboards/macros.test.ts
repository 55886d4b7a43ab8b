import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ALL,
  MacroError,
  applyConditionalAll,
  blankComments,
  describeInterval,
  expandMacros,
  interpolatePanelQuery,
  interpolateVariables,
  panelIntervalMs,
  parseDuration,
  type QueryContext,
} from './macros.js';

// The plugin's own documentation example: from 1415792726.371, to 1447328726.456, interval 20 s.
const ctx = (over: Partial<QueryContext> = {}): QueryContext => ({
  range: { fromMs: Date.parse('2014-11-12T11:45:26.371Z'), toMs: Date.parse('2015-11-12T11:45:26.456Z') },
  intervalMs: 20_000,
  variables: {
    integration: { current: ['acme', 'beta'], options: ['acme', 'beta', "o'hara"] },
    single: { current: 'acme', options: ['acme'] },
    all: { current: [ALL], options: ['acme', 'beta'] },
    allCustom: { current: [ALL], options: ['acme'], allValue: '.*' },
    none: { current: [], options: ['acme'] },
    quoted: { current: ["o'hara"], options: ["o'hara"] },
  },
  ...over,
});

describe('backend macros (grafana-clickhouse-datasource pkg/macros)', () => {
  it.each([
    ['$__fromTime', 'toDateTime(1415792726)'],
    ['$__toTime', 'toDateTime(1447328726)'],
    ['$__fromTime_ms', 'fromUnixTimestamp64Milli(1415792726371)'],
    ['$__toTime_ms', 'fromUnixTimestamp64Milli(1447328726456)'],
    ['$__timeFilter(t)', 't >= toDateTime(1415792726) AND t <= toDateTime(1447328726)'],
    ['$__timeFilter_ms(t)', 't >= fromUnixTimestamp64Milli(1415792726371) AND t <= fromUnixTimestamp64Milli(1447328726456)'],
    ['$__dateFilter(d)', "d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')"],
    ['$__dateTimeFilter(d, t)', "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))"],
    ['$__dt(d,t)', "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))"],
    ['$__timeInterval(t)', 'toStartOfInterval(toDateTime(t), INTERVAL 20 second)'],
    ['$__timeInterval_ms(t)', 'toStartOfInterval(toDateTime64(t, 3), INTERVAL 20000 millisecond)'],
    ['$__interval_s', '20'],
    ['$__timeFilter( toDate(t, \'a,b\') )', "toDate(t, 'a,b') >= toDateTime(1415792726) AND toDate(t, 'a,b') <= toDateTime(1447328726)"],
    ['$__unknown(x) AND $__fromTimeX', '$__unknown(x) AND $__fromTimeX'],
  ])('%s', (sql, expected) => {
    expect(expandMacros(sql, ctx())).toBe(expected);
  });

  it('never lets a short macro name eat a longer one', () => {
    expect(expandMacros('$__toTime_ms > $__toTime', ctx())).toBe('fromUnixTimestamp64Milli(1447328726456) > toDateTime(1447328726)');
  });

  it('floors sub-second intervals to one second and keeps milliseconds for the _ms variant', () => {
    const c = ctx({ intervalMs: 500 });
    expect(expandMacros('$__interval_s|$__timeInterval_ms(t)', c)).toBe('1|toStartOfInterval(toDateTime64(t, 3), INTERVAL 500 millisecond)');
  });

  it('does not expand macros inside comments; a -- inside a string literal is not a comment', () => {
    const blank = (s: string) => ' '.repeat(s.length);
    expect(expandMacros("SELECT '--x' -- $__timeFilter()\n/* $__dt() */ FROM t", ctx())).toBe(
      `SELECT '--x' ${blank('-- $__timeFilter()')}\n${blank('/* $__dt() */')} FROM t`,
    );
  });

  it('expands inside string literals, as macropro does', () => {
    expect(expandMacros("SELECT '$__interval_s'", ctx())).toBe("SELECT '20'");
  });

  it.each([
    ['$__timeFilter()', 1, 0],
    ['$__timeFilter(a, b)', 1, 2],
    ['$__dateTimeFilter(a)', 2, 1],
  ])('%s is an argument-count error', (sql, expected, received) => {
    expect(() => expandMacros(sql, ctx())).toThrowError(MacroError);
    try {
      expandMacros(sql, ctx());
    } catch (err) {
      expect((err as MacroError).details).toMatchObject({ expected, received });
    }
  });
});

describe('$__conditionalAll (plugin frontend)', () => {
  it.each([
    ['all', '1=1'],
    ['none', '1=1'],
    ['integration', 'x IN ($integration)'],
    ['single', 'x IN ($single)'],
  ])('with $%s selected', (name, expected) => {
    expect(applyConditionalAll(`$__conditionalAll(x IN ($${name}), $${name})`, ctx().variables)).toBe(expected);
  });

  it('recognises ${var} but, like the plugin, not ${var:format} as the second argument', () => {
    expect(applyConditionalAll('$__conditionalAll(a, ${all})', ctx().variables)).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(a, ${all:csv})', ctx().variables)).toBe('a');
  });

  it('replaces every occurrence, nested parentheses included', () => {
    const sql = 'WHERE $__conditionalAll(x IN (f(1, 2)), $all) AND $__conditionalAll(y IN (${single:singlequote}), $single)';
    expect(applyConditionalAll(sql, ctx().variables)).toBe("WHERE 1=1 AND y IN (${single:singlequote})");
  });
});

describe('template variables (Grafana templateSrv with the plugin formatter)', () => {
  it.each([
    ['$integration', "'acme','beta'"],
    ['${integration}', "'acme','beta'"],
    ['[[integration]]', "'acme','beta'"],
    ['$single', 'acme'],
    ['${integration:csv}', 'acme,beta'],
    ['${integration:pipe}', 'acme|beta'],
    ['${integration:json}', '["acme","beta"]'],
    ['${single:singlequote}', "'acme'"],
    ['${quoted:singlequote}', "'o\\'hara'"],
    ['${quoted:sqlstring}', "'o''hara'"],
    ['${quoted:doublequote}', '"o\'hara"'],
    ['$all', "'acme','beta'"],
    ['${all:singlequote}', "'acme','beta'"],
    ['${all:text}', 'All'],
    ['${allCustom:singlequote}', '.*'],
    ['$missing and $__timeFilter(t)', '$missing and $__timeFilter(t)'],
    ['$__from-$__to ${__from:date:seconds}', '1415792726371-1447328726456 1415792726'],
    ['$__interval $__interval_ms $__range_s', '20s 20000 31536000'],
  ])('%s', (sql, expected) => {
    expect(interpolateVariables(sql, ctx())).toBe(expected);
  });

  it('rejects a format it does not implement', () => {
    expect(() => interpolateVariables('${integration:lucene}', ctx())).toThrowError(MacroError);
  });
});

describe('a whole panel query', () => {
  const sql = `SELECT $__timeInterval(t) AS time, count() AS n FROM x
WHERE $__timeFilter_ms(t) AND $__conditionalAll(integration IN (\${integration:singlequote}), $integration)
GROUP BY time ORDER BY time`;

  it('expands in Grafana order: conditionalAll, variables, backend macros', () => {
    expect(interpolatePanelQuery(sql, ctx())).toBe(`SELECT toStartOfInterval(toDateTime(t), INTERVAL 20 second) AS time, count() AS n FROM x
WHERE t >= fromUnixTimestamp64Milli(1415792726371) AND t <= fromUnixTimestamp64Milli(1447328726456) AND integration IN ('acme','beta')
GROUP BY time ORDER BY time`);
  });

  it('drops the integration condition when All is selected', () => {
    const c = ctx();
    c.variables.integration = { current: [ALL], options: ['acme'] };
    expect(interpolatePanelQuery(sql, c)).toContain('AND 1=1\n');
  });

  it('leaves SQL without $ and comments untouched', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/[$'"]|--|\/\*/.test(s)), (s) => interpolatePanelQuery(s, ctx()) === s),
    );
  });

  it('blanks comments without changing the length', () => {
    fc.assert(fc.property(fc.string(), (s) => blankComments(s).length === s.length));
  });
});

describe('intervals', () => {
  const day = 86_400_000;
  it.each([
    [30 * day, undefined, 3_600_000],
    [30 * day, '1d', day],
    [day, undefined, 60_000],
    [7 * day, '1h', 3_600_000],
    [30_000 * day, undefined, 2_592_000_000],
  ])('range %d ms, min %s → %d ms', (span, min, expected) => {
    expect(panelIntervalMs({ fromMs: 0, toMs: span }, min)).toBe(expected);
  });

  it.each([
    ['1d', day],
    ['90s', 90_000],
    ['250ms', 250],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(describeInterval(ms)).toBe(text);
  });

  it('rejects a malformed duration', () => {
    expect(() => parseDuration('1 day')).toThrowError(MacroError);
  });
});
