import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CLICKHOUSE_PLUGIN_VERSION } from './src/datasource.js';
import { alertRules } from './src/alert-rules.js';
import { generatedFiles } from './generate.js';
import {
  ALL,
  MacroError,
  applyConditionalAll,
  blankComments,
  describeInterval,
  expandMacros,
  interpolatePanelQuery,
  interpolateVariables,
  MACROS_PLUGIN_VERSION,
  PINNED_QUOTING,
  UPSTREAM_QUOTING,
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
    hostile: { current: "a\\' OR (1=1)*!~", options: [] },
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

describe(`the plugin's parsing at the pinned version (${CLICKHOUSE_PLUGIN_VERSION}: macropro v1.0.1)`, () => {
  it('is the version docker-compose installs', () => {
    expect(MACROS_PLUGIN_VERSION).toBe(CLICKHOUSE_PLUGIN_VERSION);
    expect(PINNED_QUOTING).toEqual({ backslashEscape: true, backtickQuote: false, dollarQuote: false });
  });

  // pkg/macros/macros_test.go at v4.20.0, TestInterpolateBackslashEscapedStringLiterals.
  it.each([
    ["select * from foo where msg = 'it\\'s -- fine' and $__fromTime", "select * from foo where msg = 'it\\'s -- fine' and toDateTime(1415792726)"],
    ["select * from foo where msg = 'a\\'/*x' and $__toTime", "select * from foo where msg = 'a\\'/*x' and toDateTime(1447328726)"],
    ["select * from foo where msg = 'it''s' and $__fromTime", "select * from foo where msg = 'it''s' and toDateTime(1415792726)"],
    ["SELECT 'a\\\\' -- $__fromTime\n, $__toTime", `SELECT 'a\\\\' ${' '.repeat(14)}\n, toDateTime(1447328726)`],
  ])('backslash escapes: %s', (sql, expected) => {
    expect(expandMacros(sql, ctx())).toBe(expected);
  });

  // TestInterpolateNestedMacros (#2038, fixed by #2043 in 4.20.0): innermost first.
  it.each([
    ['SELECT $__timeInterval_ms($__fromTime_ms)', 'SELECT toStartOfInterval(toDateTime64(fromUnixTimestamp64Milli(1415792726371), 3), INTERVAL 20000 millisecond)'],
    [
      'select * from foo where $__timeFilter(coalesce(closed_at, $__toTime))',
      'select * from foo where coalesce(closed_at, toDateTime(1447328726)) >= toDateTime(1415792726) AND coalesce(closed_at, toDateTime(1447328726)) <= toDateTime(1447328726)',
    ],
    ['$__dateTimeFilter($__timeInterval(d), t)', "(toStartOfInterval(toDateTime(d), INTERVAL 20 second) >= toDate('2014-11-12') AND toStartOfInterval(toDateTime(d), INTERVAL 20 second) <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))"],
  ])('nested macros: %s', (sql, expected) => {
    expect(expandMacros(sql, ctx())).toBe(expected);
  });

  // TestInterpolateBacktickAndDollarQuotedRegions, added upstream after the 4.20.0 tag (#2045).
  it.each([
    [
      "SELECT `it's` AS x, msg FROM t WHERE msg = 'a--b' AND $__timeFilter(ts)",
      "SELECT `it's` AS x, msg FROM t WHERE msg = 'a--b' AND ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726)",
      // 4.20.0: the apostrophe opens a string up to 'a, then -- blanks the rest of the line, macro included.
      "SELECT `it's` AS x, msg FROM t WHERE msg = 'a" + ' '.repeat(26),
    ],
    ['SELECT `a--b`, `c/*d` FROM t WHERE $__fromTime', 'SELECT `a--b`, `c/*d` FROM t WHERE toDateTime(1415792726)', 'SELECT `a' + ' '.repeat(37)],
    ['SELECT $doc$a--b$doc$ AS x FROM t WHERE $__toTime', 'SELECT $doc$a--b$doc$ AS x FROM t WHERE toDateTime(1447328726)', 'SELECT $doc$a' + ' '.repeat(36)],
  ])('backtick and dollar quoting: %s', (sql, upstream, pinned) => {
    expect(expandMacros(sql, ctx(), UPSTREAM_QUOTING)).toBe(upstream);
    expect(expandMacros(sql, ctx())).toBe(pinned);
  });

  it('our panels and alert rules expand the same under both quoting rules, so they do not depend on the fix', () => {
    const sql = [...generatedFiles()]
      .filter(([path]) => path.endsWith('.json'))
      .flatMap(([, text]) => (JSON.parse(text).panels as Array<{ targets: Array<{ rawSql: string }> }>).map((p) => p.targets[0]!.rawSql));
    const rules = alertRules().map((r) => (r.rule.data[0]!.model as unknown as { rawSql: string }).rawSql);
    expect(sql.length).toBeGreaterThan(30);
    for (const q of [...sql, ...rules]) {
      const variables = interpolateVariables(applyConditionalAll(q, ctx().variables), { ...ctx(), variables: { ...ctx().variables, session: { current: 'x', options: [] } } });
      expect(expandMacros(variables, ctx(), PINNED_QUOTING)).toBe(expandMacros(variables, ctx(), UPSTREAM_QUOTING));
    }
  });

  it.each([
    ['$__timeFrom(t)', 't >= toDateTime(1415792726)'],
    ['$__timeTo(t)', 't <= toDateTime(1447328726)'],
    ["$__timeGroup(t, '5m')", 'toStartOfInterval(toDateTime(t), INTERVAL 300 second)'],
    ['$__timeGroup(t, 1h30m)', 'toStartOfInterval(toDateTime(t), INTERVAL 5400 second)'],
  ])('the SDK macros the plugin overrides: %s', (sql, expected) => {
    expect(expandMacros(sql, ctx())).toBe(expected);
  });

  it('line comments end at \\r as well as \\n; an unterminated block comment runs to the end', () => {
    expect(expandMacros('a -- $__fromTime\r$__toTime /* $__fromTime', ctx())).toBe(`a ${' '.repeat('-- $__fromTime'.length)}\rtoDateTime(1447328726) ${' '.repeat('/* $__fromTime'.length)}`);
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
    ['${hostile:percentencode}', 'a%5C%27%20OR%20%281%3D1%29%2A%21~'],
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
