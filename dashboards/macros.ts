/**
 * The SQL a provisioned panel sends to ClickHouse, computed the way Grafana and the official
 * grafana-clickhouse-datasource plugin compute it, so tests and the benchmark run exactly that SQL:
 *   1. the plugin frontend's $__conditionalAll(condition, $var)   (CHDatasource.applyConditionalAll)
 *   2. Grafana's template variables, unformatted references through the plugin's formatter
 *      (multi-value → 'a','b'; single value → raw)                  (templateSrv.replace)
 *   3. the plugin backend's macros                                    (pkg/macros/macros.go)
 * Alert rules skip 1 and 2: Grafana evaluates them in the backend, without dashboard variables.
 * Followed at the plugin version docker-compose installs (MACROS_PLUGIN_VERSION): grafana/macropro
 * v1.0.1 with the ClickHouse comment styles of that tag.
 */

import { CLICKHOUSE_PLUGIN_VERSION } from './src/datasource.js';

export const MACROS_PLUGIN_VERSION = CLICKHOUSE_PLUGIN_VERSION;

/**
 * What macropro's comment stripper treats as quoted (no comment inside). 4.20.0 passes
 * LineComment | BlockComment | BackslashEscape; backtick identifiers and $tag$ literals were added
 * upstream the day after (#2045, unreleased at this pin), so at 4.20.0 a `--` inside them is a comment.
 */
export interface Quoting {
  backslashEscape: boolean;
  backtickQuote: boolean;
  dollarQuote: boolean;
}
export const PINNED_QUOTING: Quoting = { backslashEscape: true, backtickQuote: false, dollarQuote: false };
/** The plugin's main branch after #2045. */
export const UPSTREAM_QUOTING: Quoting = { backslashEscape: true, backtickQuote: true, dollarQuote: true };

export const ALL = '$__all';

export type TimeRange = { fromMs: number; toMs: number };

export interface VariableState {
  /** Selected values; [ALL] when "All" is selected. */
  current: string | string[];
  /** The variable's options (without "All"): what "All" expands to when there is no custom allValue. */
  options: string[];
  allValue?: string | null;
}

export type QueryContext = { range: TimeRange; intervalMs: number; variables: Record<string, VariableState> };

export class MacroError extends Error {
  override name = 'MacroError';
  constructor(message: string, readonly details: Record<string, unknown>) {
    super(message);
  }
}

export function interpolatePanelQuery(sql: string, ctx: QueryContext): string {
  return expandMacros(interpolateVariables(applyConditionalAll(sql, ctx.variables), ctx), ctx);
}

// ---- 1. $__conditionalAll: the plugin's own scan, quirks included (lastIndexOf loop, first-match replace).

export function applyConditionalAll(sql: string, variables: Record<string, VariableState>): string {
  const macro = '$__conditionalAll(';
  let index = sql.lastIndexOf(macro);
  while (index !== -1) {
    const args = frontendMacroArgs(sql, index + macro.length - 1);
    if (args.length !== 2) return sql;
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(args[1]!.trim())?.[0];
    let phrase = args[0]!;
    if (name !== undefined && variables[name] !== undefined) {
      const value = String(variables[name].current);
      if (value === '' || value === ALL) phrase = '1=1';
    }
    sql = sql.replace(`${macro}${args[0]},${args[1]})`, () => phrase);
    index = sql.lastIndexOf(macro);
  }
  return sql;
}

function frontendMacroArgs(query: string, argsIndex: number): string[] {
  const args: string[] = [];
  const re = /\(|\)|,/g;
  const text = query.substring(argsIndex);
  let depth = 0;
  let lastEnd = 1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(text.substring(lastEnd, re.lastIndex - 1));
      lastEnd = re.lastIndex;
    }
    if (depth === 0) {
      args.push(text.substring(lastEnd, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

// ---- 2. Grafana template variables.

const variableRegex = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

export function interpolateVariables(sql: string, ctx: QueryContext): string {
  return sql.replace(variableRegex, (match, bare?: string, bracket?: string, bracketFmt?: string, braced?: string, _path?: string, bracedFmt?: string) => {
    const name = (bare ?? bracket ?? braced)!;
    const format = bracketFmt ?? bracedFmt;
    const builtin = builtinVariable(name, format, ctx);
    if (builtin !== undefined) return builtin;
    const variable = ctx.variables[name];
    if (!variable) return match;
    const selected = Array.isArray(variable.current) ? variable.current : [variable.current];
    if (selected.includes(ALL)) {
      // A custom "All" value goes in verbatim; the text format shows the label.
      if (format === 'text') return 'All';
      return variable.allValue ? variable.allValue : formatValue(variable.options, format);
    }
    return formatValue(variable.current, format);
  });
}

/** The plugin's formatter for references without a format, else Grafana's named formats. */
export function formatValue(value: string | string[], format?: string): string {
  const list = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined:
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'raw':
    case 'text':
    case 'csv':
      return list.join(',');
    case 'pipe':
      return list.join('|');
    case 'json':
      return JSON.stringify(value);
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return list.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'percentencode':
      return list.map(encodeURIComponentStrict).join(',');
    default:
      throw new MacroError('unsupported variable format', { format });
  }
}

/** Grafana's percentencode: RFC 3986, so also ! ' ( ) * are encoded. */
const encodeURIComponentStrict = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function builtinVariable(name: string, format: string | undefined, ctx: QueryContext): string | undefined {
  const { fromMs, toMs } = ctx.range;
  const time = (ms: number) => (format?.startsWith('date') ? (format === 'date:seconds' ? String(seconds(ms)) : new Date(ms).toISOString()) : String(ms));
  const builtins: Record<string, () => string> = {
    __from: () => time(fromMs),
    __to: () => time(toMs),
    __interval: () => describeInterval(ctx.intervalMs),
    __interval_ms: () => String(ctx.intervalMs),
    __range_ms: () => String(toMs - fromMs),
    __range_s: () => String(Math.round((toMs - fromMs) / 1000)),
  };
  return builtins[name]?.();
}

// ---- 3. Backend macros, parsed like grafana/macropro: comments blanked, longest name first,
// a name must not continue into [A-Za-z0-9_], arguments split on top-level commas and trimmed,
// macros inside arguments expanded first (innermost-first, plugin #2043).

type Macro = (args: string[], ctx: QueryContext) => string;

const seconds = (ms: number) => Math.floor(ms / 1000);
const date = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
const dateTime = (ms: number) => `toDateTime(${seconds(ms)})`;
const dateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${ms})`;
const intervalSeconds = (ctx: QueryContext) => Math.trunc(Math.max(ctx.intervalMs / 1000, 1));

function arity(name: string, expected: number, args: string[]): string[] {
  if (args.length !== expected) throw new MacroError('unexpected number of arguments', { macro: `$__${name}`, expected, received: args.length });
  return args;
}

const range = (name: string, to: (ms: number) => string): Macro => (args, ctx) =>
  `${arity(name, 1, args)[0]} >= ${to(ctx.range.fromMs)} AND ${args[0]} <= ${to(ctx.range.toMs)}`;

const dateTimeFilter: Macro = (args, ctx) => {
  const [d, t] = arity('dateTimeFilter', 2, args);
  const { fromMs, toMs } = ctx.range;
  return `(${d} >= ${date(fromMs)} AND ${d} <= ${date(toMs)}) AND (${t} >= ${dateTime(fromMs)} AND ${t} <= ${dateTime(toMs)})`;
};

/** $__timeGroup(col, 5m): Go's time.ParseDuration units, rounded to whole seconds. */
const timeGroup: Macro = (args) => {
  const [col, period] = arity('timeGroup', 2, args);
  const text = period!.trim().replace(/^['"]+|['"]+$/g, '');
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new MacroError('invalid interval', { macro: '$__timeGroup', period: text });
  const secs = Math.round(parts.reduce((n, p) => n + Number(p[1]) * unitMs[p[2]!]!, 0) / 1000);
  if (secs <= 0) throw new MacroError('interval must be positive', { macro: '$__timeGroup', period: text });
  return `toStartOfInterval(toDateTime(${col!.trim()}), INTERVAL ${secs} second)`;
};

export const backendMacros: Record<string, Macro> = {
  fromTime: (_, ctx) => dateTime(ctx.range.fromMs),
  toTime: (_, ctx) => dateTime(ctx.range.toMs),
  fromTime_ms: (_, ctx) => dateTime64(ctx.range.fromMs),
  toTime_ms: (_, ctx) => dateTime64(ctx.range.toMs),
  timeFilter: range('timeFilter', dateTime),
  timeFilter_ms: range('timeFilter_ms', dateTime64),
  timeFrom: (args, ctx) => `${arity('timeFrom', 1, args)[0]} >= ${dateTime(ctx.range.fromMs)}`,
  timeTo: (args, ctx) => `${arity('timeTo', 1, args)[0]} <= ${dateTime(ctx.range.toMs)}`,
  timeGroup,
  dateFilter: range('dateFilter', date),
  dateTimeFilter,
  dt: dateTimeFilter,
  timeInterval: (args, ctx) => `toStartOfInterval(toDateTime(${arity('timeInterval', 1, args)[0]}), INTERVAL ${intervalSeconds(ctx)} second)`,
  timeInterval_ms: (args, ctx) =>
    `toStartOfInterval(toDateTime64(${arity('timeInterval_ms', 1, args)[0]}, 3), INTERVAL ${Math.trunc(Math.max(ctx.intervalMs, 1))} millisecond)`,
  interval_s: (_, ctx) => String(intervalSeconds(ctx)),
};

const macroNames = Object.keys(backendMacros).sort((a, b) => b.length - a.length || a.localeCompare(b));

export function expandMacros(sql: string, ctx: QueryContext, quoting: Quoting = PINNED_QUOTING): string {
  return expandAll(blankComments(sql, quoting), ctx);
}

function expandAll(text: string, ctx: QueryContext): string {
  let result = text;
  for (const name of macroNames) result = replaceMacro(result, `$__${name}`, (raw) => backendMacros[name]!(splitArgs(expandAll(raw, ctx)), ctx));
  return result;
}

function replaceMacro(text: string, token: string, expand: (raw: string) => string): string {
  let out = '';
  let rest = text;
  for (let at = rest.indexOf(token); at !== -1; at = rest.indexOf(token)) {
    const after = at + token.length;
    if (after < rest.length && /[A-Za-z0-9_]/.test(rest[after]!)) {
      out += rest.slice(0, after);
      rest = rest.slice(after);
      continue;
    }
    out += rest.slice(0, at);
    rest = rest.slice(after);
    let raw = '';
    const close = rest.startsWith('(') ? closingParen(rest, 0) : -1;
    if (close !== -1) {
      raw = rest.slice(1, close);
      rest = rest.slice(close + 1);
    }
    out += expand(raw);
  }
  return out + rest;
}

/** Index after the quoted literal at pos; a doubled quote stays inside it (macropro's scanStringLiteral). */
function skipQuoted(s: string, pos: number): number {
  for (let j = pos + 1; j < s.length; j++) if (s[j] === s[pos] && s[++j] !== s[pos]) return j;
  return s.length;
}

/** Walks s from `from`, skipping quoted literals; stops where visit returns true. */
function scan(s: string, from: number, visit: (c: string, i: number) => boolean): number {
  for (let i = from; i < s.length; ) {
    if (s[i] === "'" || s[i] === '"') i = skipQuoted(s, i);
    else if (visit(s[i]!, i)) return i;
    else i++;
  }
  return -1;
}

function closingParen(s: string, open: number): number {
  let depth = 0;
  return scan(s, open, (c) => (c === '(' ? (depth++, false) : c === ')' && --depth === 0));
}

function splitArgs(raw: string): string[] {
  const text = raw.trim();
  if (text === '') return [];
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  scan(text, 0, (c, i) => {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
    return false;
  });
  return [...args, text.slice(start).trim()];
}

/** End of the region a quote character opens, under the given quoting rules; -1 when c opens none. */
function quotedEnd(s: string, i: number, quoting: Quoting): number {
  const c = s[i]!;
  if (c === "'" || c === '"' || (c === '`' && quoting.backtickQuote)) {
    for (let j = i + 1; j < s.length; j++) {
      if (quoting.backslashEscape && s[j] === '\\') j++;
      else if (s[j] === c) {
        if (s[j + 1] !== c) return j + 1;
        j++;
      }
    }
    return s.length;
  }
  if (c === '$' && quoting.dollarQuote) {
    const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i))?.[0];
    if (!tag) return -1;
    const close = s.indexOf(tag, i + tag.length);
    return close === -1 ? s.length : close + tag.length;
  }
  return -1;
}

/**
 * -- and block comments become spaces of the same length, so a macro inside a comment never runs;
 * line comments end at \n or \r, an unterminated block comment runs to the end (macropro StripComments).
 */
export function blankComments(sql: string, quoting: Quoting = PINNED_QUOTING): string {
  let out = '';
  for (let i = 0; i < sql.length; ) {
    const end = quotedEnd(sql, i, quoting);
    if (end !== -1) {
      out += sql.slice(i, end);
      i = end;
    } else if (sql.startsWith('--', i)) {
      const stop = sql.slice(i).search(/[\r\n]/);
      const to = stop === -1 ? sql.length : i + stop;
      out += ' '.repeat(to - i);
      i = to;
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2);
      const to = close === -1 ? sql.length : close + 2;
      out += ' '.repeat(to - i);
      i = to;
    } else {
      out += sql[i];
      i++;
    }
  }
  return out;
}

// ---- Intervals: what Grafana hands a panel as $__interval (before the panel's minimum interval).

const units: Array<[string, number]> = [['y', 31_536_000_000], ['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new MacroError('invalid duration', { text });
  return Number(m[1]) * units.find(([u]) => u === m[2])![1];
}

export function describeInterval(ms: number): string {
  const [unit, size] = units.find(([, size]) => ms >= size && ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}

// Grafana's roundInterval: below the first bound of a pair, use its step.
const roundSteps = [
  15, 10, 35, 20, 75, 50, 150, 100, 350, 200, 750, 500, 1500, 1000, 3500, 2000, 7500, 5000, 12_500, 10_000, 17_500, 15_000,
  25_000, 20_000, 45_000, 30_000, 90_000, 60_000, 450_000, 300_000, 1_050_000, 600_000, 2_100_000, 1_800_000, 5_400_000,
  3_600_000, 9_000_000, 7_200_000, 16_200_000, 10_800_000, 32_400_000, 21_600_000, 86_400_000, 43_200_000, 604_800_000,
  86_400_000, 1_814_400_000, 604_800_000, 3_628_800_000, 2_592_000_000,
];

/** Grafana's interval: the range over the data points, rounded to a nice step, never below the panel's minimum. */
export function panelIntervalMs(range: TimeRange, minInterval?: string, maxDataPoints = 1000): number {
  const raw = (range.toMs - range.fromMs) / maxDataPoints;
  let rounded = 31_536_000_000;
  for (let i = roundSteps.length - 2; i >= 0; i -= 2) if (raw < roundSteps[i]!) rounded = roundSteps[i + 1]!;
  return Math.max(rounded, minInterval ? parseDuration(minInterval) : 0);
}
