import { createPublicKey, hash, sign, verify, type KeyObject } from 'node:crypto';

/**
 * A digest seals one interval of the ledger: its Merkle root, leaf count and the previous digest's
 * hash, signed with Ed25519. Pure. The canonical bytes are what is hashed and signed, and what an
 * evidence pack carries as a file, so `openssl pkeyutl -verify -rawin` checks it without our code.
 */

export const DIGEST_FORMAT = 'ine-audit-ledger-digest/1';
/** previous_digest_hash of the first digest of a chain. */
export const GENESIS = '0'.repeat(64);

export interface DigestFields {
  seq: number;
  /** ISO 8601 UTC with milliseconds; the interval is [start, end) of the time leaves reached ClickHouse. */
  interval_start: string;
  interval_end: string;
  leaf_count: number;
  merkle_root: string;
  previous_digest_hash: string;
  sealed_at: string;
  key_id: string;
}

export interface SignedDigest extends DigestFields {
  digest_hash: string;
  /** Base64 of the 64-byte Ed25519 signature over canonicalDigest(fields). */
  signature: string;
}

export function canonicalDigest(d: DigestFields): Buffer {
  const ordered = {
    format: DIGEST_FORMAT,
    seq: d.seq,
    interval_start: d.interval_start,
    interval_end: d.interval_end,
    leaf_count: d.leaf_count,
    merkle_root: d.merkle_root,
    previous_digest_hash: d.previous_digest_hash,
    sealed_at: d.sealed_at,
    key_id: d.key_id,
  };
  return Buffer.from(JSON.stringify(ordered) + '\n', 'utf8');
}

export const digestHash = (d: DigestFields): string => hash('sha256', canonicalDigest(d), 'hex');

export function signDigest(d: DigestFields, privateKey: KeyObject): SignedDigest {
  return { ...d, digest_hash: digestHash(d), signature: sign(null, canonicalDigest(d), privateKey).toString('base64') };
}

export function signatureValid(d: SignedDigest, publicKey: KeyObject): boolean {
  const signature = Buffer.from(d.signature, 'base64');
  if (signature.length !== 64 || signature.toString('base64') !== d.signature) return false;
  return verify(null, canonicalDigest(d), publicKey, signature);
}

/** Key id: SHA-256 of the public key's DER (SubjectPublicKeyInfo), so a digest names the key that signed it. */
export const keyIdOf = (key: KeyObject): string => hash('sha256', (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }), 'hex');
