import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';

/** One-shot hashing: about 3x cheaper per call than createHash().update().digest(). */
export const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');

/** A key used for many messages (signing secrets, the pseudonym pepper) is best made a KeyObject once. */
export const hmacKey = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));

export const hmacSha256Hex = (key: string | KeyObject, data: string | Buffer): string =>
  createHmac('sha256', key).update(data).digest('hex');

/** A stable id for a tuple of fields; the separator cannot occur in UUIDs, codes or timestamps. */
export const keyOf = (...parts: Array<string | number | boolean | null | undefined>): string =>
  sha256Hex(parts.map((p) => (p === null || p === undefined ? '\u0000' : String(p))).join('\u001f'));
