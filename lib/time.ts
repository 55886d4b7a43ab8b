const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Any ISO 8601 instant with an offset → ClickHouse DateTime64(3, 'UTC') text.
 * Fractions beyond milliseconds are truncated (Veriff sends microseconds); a negative offset can
 * move the instant to the next UTC day.
 */
export function toClickHouseTime(value: string): string {
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
