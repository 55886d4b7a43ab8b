import { createHash, createHmac } from 'node:crypto';

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const hmacSha256Hex = (key: string, data: string | Buffer): string =>
  createHmac('sha256', key).update(data).digest('hex');

/** A stable id for a tuple of fields; the separator cannot occur in UUIDs, codes or timestamps. */
export const keyOf = (...parts: Array<string | number | boolean | null | undefined>): string =>
  sha256Hex(parts.map((p) => (p === null || p === undefined ? '\u0000' : String(p))).join('\u001f'));
