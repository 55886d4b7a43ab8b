const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Any ISO 8601 instant with an offset → ClickHouse DateTime64(3, 'UTC') text.
 * Fractions beyond milliseconds are truncated (Veriff sends microseconds); a negative offset can
 * move the instant to the next UTC day.
 */
export function toClickHouseTime(value: string): string {
  return utcFast(value) ?? viaDate(value);
}

/** Already UTC with every field in range (what Veriff and ingest send): the text is the answer, no Date needed. */
const utc = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|[+-]00:?00)$/i;
const daysIn = (year: number, month: number) => (month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);

function utcFast(value: string): string | null {
  const m = utc.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m as unknown as [string, string, string, string, string, string, string, string | undefined];
  const month = Number(mo);
  const day = Number(d);
  // Out of range (Feb 30, 24:00, leap seconds): Date's own reading decides, as before.
  if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(y), month) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const millis = frac === undefined ? '000' : frac.length >= 3 ? frac.slice(0, 3) : frac.padEnd(3, '0');
  return flat(`${y}-${mo}-${d} ${h}:${mi}:${s}.${millis}`);
}

/**
 * V8 keeps a concatenation as a tree of its pieces (a dozen heap objects here) until something reads
 * a character; reading one flattens it in place. A processor holds thousands of these times until its
 * batch is inserted, and the garbage collector copies every piece: flat, retaining one costs a third.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

function viaDate(value: string): string {
  const m = iso.exec(value);
  if (!m) throw new RangeError(`not an ISO 8601 instant with offset: ${value}`);
  const millis = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  const offset = m[4]!.toUpperCase() === 'Z' ? 'Z' : m[4]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const epoch = Date.parse(`${m[1]}T${m[2]}.${millis}${offset}`);
  if (Number.isNaN(epoch)) throw new RangeError(`invalid instant: ${value}`);
  return fromEpochMs(epoch);
}

export const fromEpochMs = (epoch: number): string => new Date(epoch).toISOString().replace('T', ' ').replace('Z', '');

export const nowClickHouse = (): string => fromEpochMs(Date.now());
