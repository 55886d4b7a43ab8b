import { generateKeyPairSync, hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalDigest, digestHash, GENESIS, signatureValid, signDigest, type DigestFields } from './digest.js';
import { leafHash, merkleRoot, type Leaf } from './merkle.js';

const h = (hex: string) => Buffer.from(hex, 'hex');
const sha = (...parts: Buffer[]) => hash('sha256', Buffer.concat(parts), 'hex');
const leaf = (i: number): Leaf => ({ delivery_id: `d${i}`, kind: 'decision', integration: 'default', session_id: `s${i}`, body_sha256: 'ab'.repeat(32), received_at: '2026-12-03 10:00:00.000' });

describe('merkleRoot (RFC 6962)', () => {
  it('hashes the empty tree, one leaf, and an odd count with the last node carried up', () => {
    expect(merkleRoot([])).toBe(sha(Buffer.alloc(0)));
    const [a, b, c] = [leafHash(leaf(1)), leafHash(leaf(2)), leafHash(leaf(3))];
    expect(merkleRoot([a])).toBe(a);
    const ab = sha(Buffer.from([1]), h(a), h(b));
    expect(merkleRoot([a, b])).toBe(ab);
    expect(merkleRoot([a, b, c])).toBe(sha(Buffer.from([1]), h(ab), h(c)));
  });

  it('changes with any leaf field, and a leaf hash is never a node hash', () => {
    const base = leafHash(leaf(1));
    for (const field of ['delivery_id', 'kind', 'integration', 'session_id', 'body_sha256', 'received_at'] as const) {
      expect(leafHash({ ...leaf(1), [field]: `${leaf(1)[field]}x` }), field).not.toBe(base);
    }
    expect(base).toBe(sha(Buffer.from([0]), Buffer.from(JSON.stringify(['ine-audit-leaf/1', 'd1', 'decision', 'default', 's1', 'ab'.repeat(32), '2026-12-03 10:00:00.000']))));
  });
});

describe('digests', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const fields: DigestFields = {
    seq: 0, interval_start: '2026-12-03T10:00:00.000Z', interval_end: '2026-12-03T11:00:00.000Z', leaf_count: 3,
    merkle_root: 'cd'.repeat(32), previous_digest_hash: GENESIS, sealed_at: '2026-12-03T11:01:00.000Z', key_id: 'k',
  };

  it('sign their canonical bytes, and any changed field or flipped signature byte fails', () => {
    const d = signDigest(fields, privateKey);
    expect(signatureValid(d, publicKey)).toBe(true);
    expect(d.digest_hash).toBe(hash('sha256', canonicalDigest(fields), 'hex'));
    expect(signatureValid({ ...d, leaf_count: 4 }, publicKey)).toBe(false);
    expect(signatureValid({ ...d, previous_digest_hash: 'ef'.repeat(32) }, publicKey)).toBe(false);
    const sig = Buffer.from(d.signature, 'base64');
    sig[10]! ^= 0x01;
    expect(signatureValid({ ...d, signature: sig.toString('base64') }, publicKey)).toBe(false);
    expect(signatureValid({ ...d, signature: 'not base64' }, publicKey)).toBe(false);
  });

  it('have canonical bytes in a fixed key order, whatever order the fields came in', () => {
    const shuffled = Object.fromEntries(Object.entries(fields).reverse()) as unknown as DigestFields;
    expect(canonicalDigest(shuffled)).toEqual(canonicalDigest(fields));
    expect(digestHash(shuffled)).toBe(digestHash(fields));
    expect(canonicalDigest(fields).toString()).toMatch(/^\{"format":"ine-audit-ledger-digest\/1","seq":0,"interval_start":/);
  });
});
