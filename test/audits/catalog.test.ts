import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INE_BAND_HALF_WIDTH, INE_MATCH_THRESHOLD } from '../../schemas/thresholds.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogError, loadCatalog, parseQueryFile, placeholdersOf, queriesDir } from '../../audits/catalog.js';
import { parseArgv, UsageError } from '../../audits/cli-args.js';
import { parseCsv, toCsv, toTable } from '../../audits/format.js';
import { ParamError, parseIsoInstant, parseParams } from '../../audits/params.js';

const catalog = loadCatalog();
const period = { from: "DateTime64(3, 'UTC')", to: "DateTime64(3, 'UTC')" };

describe('audit catalog', () => {
  it('holds the documented queries', () => {
    expect([...catalog.keys()].sort()).toEqual([
      'approval-rate-daily', 'consent-coverage', 'consent-violations', 'decisions-by-status', 'duplicate-deliveries', 'erasure-receipts', 'face-match-cases',
      'face-match-daily', 'face-match-distribution', 'face-match-summary', 'late-deliveries', 'ledger-status', 'period-summary', 'rejected-requests', 'session-timeline',
    ]);
  });

  it.each([...catalog.values()].map((q) => [q.name, q] as const))('%s: typed parameters, all used, none spliced', (_name, q) => {
    expect(q.title.length).toBeGreaterThan(5);
    expect(q.description.length).toBeGreaterThan(40);
    const used = placeholdersOf(q.sql);
    expect(new Set(used.map((u) => u.name))).toEqual(new Set([...q.params.map((p) => p.name), ...Object.keys(q.fixed)]));
    for (const p of q.params) {
      if (p.name in period) expect([p.type, p.required]).toEqual([period[p.name as keyof typeof period], true]);
      if (p.name === 'integration') expect([p.type, p.required]).toEqual(['Nullable(String)', false]);
    }
    // Analysts never read the restricted tables that hold raw bodies.
    expect(q.sql).not.toMatch(/\b(raw_payloads|dead_letters)\b|\bine_audit\.quarantine\b/);
  });

  const good = `-- @name sample\n-- @title A sample query\n-- @description Some words\n--   that continue here.\n-- @param from DateTime64(3, 'UTC') required Start\n-- @param n UInt32 optional default 5 How many\nSELECT {from:DateTime64(3, 'UTC')} AS f, {n:UInt32} AS n\n`;

  it('parses a header with continuation lines and defaults', () => {
    expect(parseQueryFile(good, 'sample.sql')).toEqual({
      name: 'sample', title: 'A sample query', description: 'Some words that continue here.', file: 'sample.sql', sql: good, fixed: {},
      params: [
        { name: 'from', type: "DateTime64(3, 'UTC')", required: true, description: 'Start' },
        { name: 'n', type: 'UInt32', required: false, defaultValue: '5', description: 'How many' },
      ],
    });
  });

  it('fills the judging levels from schemas/thresholds.ts as fixed parameters, never as options', () => {
    const cases = catalog.get('face-match-cases')!;
    expect(cases.fixed).toEqual({ ine_match_threshold: INE_MATCH_THRESHOLD, ine_band_low: INE_MATCH_THRESHOLD - INE_BAND_HALF_WIDTH, ine_band_high: INE_MATCH_THRESHOLD + INE_BAND_HALF_WIDTH });
    expect(parseParams(cases, { from: '2025-06-01', to: '2025-07-01' })).toMatchObject({ ine_band_low: 80, ine_band_high: 90 });
    expect(() => parseParams(cases, { from: '2025-06-01', to: '2025-07-01', ine_band_low: '0' })).toThrow('takes no such option');
    const declared = `${good.replace('SELECT', '-- @param ine_band_low UInt32 required Low\nSELECT')}`.replace('AS n', 'AS n, {ine_band_low:UInt32} AS l');
    expect(() => parseQueryFile(declared, 'sample.sql')).toThrow(/fixed level/);
  });

  it('describes the band and the match rule with the same figures, in the headers and in audits/README.md', () => {
    const [low, high, rule] = [INE_MATCH_THRESHOLD - INE_BAND_HALF_WIDTH, INE_MATCH_THRESHOLD + INE_BAND_HALF_WIDTH, INE_MATCH_THRESHOLD];
    for (const name of ['face-match-cases', 'face-match-summary']) {
      const { description } = catalog.get(name)!;
      expect(description, name).toMatch(new RegExp(`${low}(-| and )${high} inclusive`));
      expect(description, name).toContain(`percentage >= ${rule}`);
    }
    const readme = readFileSync(join(queriesDir, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\`threshold_band\` (${low}–${high} inclusive), \`inconsistent\` (faceMatch disagrees with ≥ ${rule})`);
    expect(readme).toContain(`${low}–${high} threshold band`);
  });

  it.each([
    ['no name', good.replace('-- @name sample\n', ''), /exactly one non-empty @name/],
    ['file name differs', good, /must be named sample\.sql/, 'other.sql'],
    ['unsupported type', good.replace('UInt32 optional', 'Float64 optional').replace('{n:UInt32}', '{n:Float64}'), /unsupported type "Float64"/],
    ['undeclared placeholder', good + 'WHERE x = {y:String}\n', /\{y:String\} is not declared/],
    ['unused parameter', good.replace(', {n:UInt32} AS n', ''), /@param n is never used/],
    ['type mismatch', good.replace('{n:UInt32}', '{n:String}'), /declared UInt32 but used as String/],
    ['semicolon', good.replace('AS n\n', 'AS n;\n'), /must not contain ';'/],
    ['required with default', good.replace('n UInt32 optional default 5', 'n UInt32 required default 5'), /required and cannot have a default/],
    ['unknown tag', good.replace('-- @title', '-- @owner me\n-- @title'), /unknown header tag @owner/],
  ])('refuses a file with %s', (_what, text, message, file = 'sample.sql') => {
    expect(() => parseQueryFile(text, file)).toThrow(CatalogError);
    expect(() => parseQueryFile(text, file)).toThrow(message);
  });
});

describe('parameters', () => {
  it.each([
    ['2025-06-01', '2025-06-01T00:00:00.000Z'],
    ['2025-06-01T00:00:00Z', '2025-06-01T00:00:00.000Z'],
    ['2025-05-31T18:00:00-06:00', '2025-06-01T00:00:00.000Z'],
    ['2025-06-01T05:30+05:30', '2025-06-01T00:00:00.000Z'],
    ['2025-06-01T00:00:00.123456Z', '2025-06-01T00:00:00.123Z'],
    ['2025-06-01 12:00:00-0600', '2025-06-01T18:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(new Date(parseIsoInstant(text)).toISOString()).toBe(iso);
  });

  it.each([
    ['2025-02-30', /not a valid calendar date/],
    ['2025-06-01T24:00:00Z', /not a valid calendar date/],
    ['2025-06-01T00:00:00', /add Z or an offset/],
    ['2025-6-1', /not an ISO 8601 date/],
    ['June 1, 2025', /not an ISO 8601 date/],
    ['2025-06-01T00:00:00+25:00', /invalid offset/],
  ])('refuses %s', (text, message) => {
    expect(() => parseIsoInstant(text)).toThrow(message);
  });

  const q = catalog.get('late-deliveries')!;

  it('turns CLI values into typed query parameters, NULL for an absent integration, defaults filled', () => {
    expect(parseParams(q, { from: '2025-06-01', to: '2025-06-30T18:00:00-06:00' })).toEqual({
      from: '2025-06-01 00:00:00.000', to: '2025-07-01 00:00:00.000', integration: null, late_minutes: 60,
    });
    expect(parseParams(q, { from: '2025-06-01', to: '2025-07-01', integration: 'acme', late_minutes: '5' })).toMatchObject({ integration: 'acme', late_minutes: 5 });
  });

  it.each([
    [{ to: '2025-07-01' }, '--from: is required'],
    [{ from: '2025-06-01', to: '2025-07-01', bogus: 'x' }, '--bogus: late-deliveries takes no such option'],
    [{ from: '2025-07-01', to: '2025-06-01' }, '--from must be before --to'],
    [{ from: '2025-06-01', to: '2025-06-01' }, '--from must be before --to'],
    [{ from: '2025-06-01', to: '2025-07-01', integration: '' }, '--integration: must not be empty'],
    [{ from: '2025-06-01', to: '2025-07-01', late_minutes: '-1' }, '--late-minutes: must be a whole number'],
    [{ from: '2025-06-01', to: '2025-07-01', late_minutes: '1.5' }, '--late-minutes: must be a whole number'],
    [{ from: '2025-06-01', to: '2025-07-01', late_minutes: '99999999999' }, '--late-minutes:'],
    [{ from: '1899-12-31', to: '2025-07-01' }, 'outside 1900..2299'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseParams(q, raw)).toThrow(ParamError);
    expect(() => parseParams(q, raw)).toThrow(message);
  });

  it('passes any integration text through untouched: it is a value, never SQL', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        expect(parseParams(q, { from: '2025-06-01', to: '2025-07-01', integration: text }).integration).toBe(text);
      }),
    );
  });
});

describe('output formats', () => {
  const columns = [{ name: 'name', type: 'String' }, { name: 'n', type: 'UInt64' }, { name: 'rate', type: 'Nullable(Float64)' }, { name: 'ok', type: 'Bool' }];
  const rows = [
    { name: 'plain', n: 3, rate: 33.33, ok: true },
    { name: 'with, comma "quoted"\nand newline', n: 12, rate: null, ok: false },
  ];

  it('writes RFC 4180 CSV: header, quotes doubled, NULL as an empty field', () => {
    expect(toCsv(columns, rows)).toBe('name,n,rate,ok\nplain,3,33.33,true\n"with, comma ""quoted""\nand newline",12,,false\n');
    expect(toCsv(columns, [])).toBe('name,n,rate,ok\n');
  });

  it('reads back any CSV it writes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 20 }), (pairs) => {
        const cols = [{ name: 'a', type: 'String' }, { name: 'b', type: 'String' }];
        const parsed = parseCsv(toCsv(cols, pairs.map(([a, b]) => ({ a, b }))));
        expect(parsed).toEqual([['a', 'b'], ...pairs.map(([a, b]) => [a, b])]);
      }),
    );
  });

  it('aligns a table, numbers to the right, NULL spelled out', () => {
    expect(toTable(columns, [rows[0]!, { name: 'x', n: 100, rate: null, ok: false }])).toBe(
      ['name     n   rate  ok', '-----  ---  -----  -----', 'plain    3  33.33  true', 'x      100   NULL  false', '(2 rows)', ''].join('\n'),
    );
  });
});

describe('command line arguments', () => {
  it('reads --name value and --name=value, keeps positionals', () => {
    const parsed = parseArgv(['consent-coverage', '--from', '2025-06-01', '--to=2025-07-01', '--integration', "x' OR 1=1 --"]);
    expect(parsed.positionals).toEqual(['consent-coverage']);
    expect(Object.fromEntries(parsed.options)).toEqual({ from: '2025-06-01', to: '2025-07-01', integration: "x' OR 1=1 --" });
    expect(Object.fromEntries(parseArgv(['--integration=--odd']).options)).toEqual({ integration: '--odd' });
    expect(parseArgv(['--help']).help).toBe(true);
  });

  it.each([
    [['--from'], /--from needs a value/],
    [['--from', '--to', 'x'], /--from needs a value/],
    [['--from', 'a', '--from', 'b'], /--from given twice/],
    [['--', 'x'], /bad option/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgv(argv)).toThrow(UsageError);
    expect(() => parseArgv(argv)).toThrow(message);
  });
});
