import { z } from 'zod';
import { fromEpochMs } from '../lib/time.js';
import type { AuditParam, AuditQuery, ParamType } from './catalog.js';

/** A ClickHouse query parameter value: always sent as a query parameter, never spliced into SQL. */
export type ParamValue = string | number | null;
export type QueryParams = Record<string, ParamValue>;

export class ParamError extends Error {
  override name = 'ParamError';
  constructor(readonly issues: string[]) {
    super(issues.join('\n'));
  }
}

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;
const instant = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * ISO 8601 date (midnight UTC) or instant with an explicit offset → epoch milliseconds. A local time
 * without offset is refused: in an audit, "which midnight?" must not be guessed. Impossible calendar
 * values (2025-02-30, 24:00) are refused rather than rolled over.
 */
export function parseIsoInstant(text: string): number {
  const d = dateOnly.exec(text);
  const t = d ? null : instant.exec(text);
  const m = d ?? t;
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? ' (add Z or an offset such as -06:00)' : '';
    throw new RangeError(`"${text}" is not an ISO 8601 date (2025-06-01) or instant with offset (2025-06-01T00:00:00Z)${hint}`);
  }
  const [y, mo, da] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = t ? [Number(t[4]), Number(t[5]), Number(t[6] ?? 0)] : [0, 0, 0];
  const ms = t ? Number((t[7] ?? '').padEnd(3, '0').slice(0, 3)) : 0;
  const local = Date.UTC(y, mo - 1, da, h, mi, s, ms);
  const check = new Date(local);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== da || check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== s) {
    throw new RangeError(`"${text}" is not a valid calendar date/time`);
  }
  const offset = t?.[8];
  if (!offset || offset.toUpperCase() === 'Z') return local;
  const om = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
  const minutes = Number(om[2]) * 60 + Number(om[3]);
  if (Number(om[2]) > 23 || Number(om[3]) > 59) throw new RangeError(`"${text}" has an invalid offset`);
  return local - (om[1] === '-' ? -1 : 1) * minutes * 60_000;
}

const timeParam = z.string().transform((text, ctx) => {
  try {
    const epoch = parseIsoInstant(text);
    // DateTime64(3) holds 1900-01-01 .. 2299-12-31; outside it ClickHouse would clamp silently.
    if (epoch < Date.UTC(1900, 0, 1) || epoch >= Date.UTC(2300, 0, 1)) throw new RangeError(`"${text}" is outside 1900..2299`);
    return fromEpochMs(epoch);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const text = z.string().min(1, 'must not be empty (omit the option to mean "all")').max(1000);

const schemaFor: Record<ParamType, z.ZodType<ParamValue, string>> = {
  "DateTime64(3, 'UTC')": timeParam,
  String: text,
  'Nullable(String)': text,
  UInt32: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(0).max(4_294_967_295)),
};

function paramSchema(p: AuditParam): z.ZodType<ParamValue | undefined> {
  const base = schemaFor[p.type];
  if (p.defaultValue !== undefined) return z.string().default(p.defaultValue).pipe(base);
  if (p.required) return z.string({ error: 'is required' }).pipe(base);
  return base.optional();
}

/**
 * CLI option values (strings, keyed by parameter name) → ClickHouse query parameters. Absent optional
 * parameters become NULL, which the SQL reads as "no filter". A `from` must come before its `to`.
 */
export function parseParams(query: Pick<AuditQuery, 'name' | 'params'> & Partial<Pick<AuditQuery, 'fixed'>>, raw: Record<string, string | undefined>): QueryParams {
  const shape = Object.fromEntries(query.params.map((p) => [p.name, paramSchema(p)]));
  const unknown = Object.keys(raw).filter((k) => raw[k] !== undefined && !(k in shape));
  const issues: string[] = unknown.map((k) => `--${optionName(k)}: ${query.name} takes no such option`);
  const parsed = z.object(shape).safeParse(Object.fromEntries(Object.entries(raw).filter(([k, v]) => v !== undefined && k in shape)));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(`--${optionName(String(issue.path[0] ?? '?'))}: ${issue.message}`);
  }
  if (issues.length) throw new ParamError(issues);
  const values: QueryParams = {};
  for (const p of query.params) values[p.name] = (parsed.data as Record<string, ParamValue | undefined>)[p.name] ?? null;
  Object.assign(values, query.fixed);
  if (typeof values.from === 'string' && typeof values.to === 'string' && values.from >= values.to) {
    throw new ParamError([`--from must be before --to (the period is [from, to), to exclusive): got ${isoOf(values.from)} .. ${isoOf(values.to)}`]);
  }
  return values;
}

/** CLI spelling of a parameter: late_minutes → late-minutes. */
export const optionName = (param: string): string => param.replace(/_/g, '-');
export const paramName = (option: string): string => option.replace(/-/g, '_');

/** ClickHouse 'YYYY-MM-DD hh:mm:ss.mmm' (UTC) → ISO 8601 with Z, for manifests and headings. */
export const isoOf = (clickhouseTime: string): string => `${clickhouseTime.replace(' ', 'T')}Z`;
