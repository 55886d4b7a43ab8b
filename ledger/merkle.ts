import { hash } from 'node:crypto';

/**
 * The ledger's hashing, pure. A leaf is one accepted delivery, described by the six fields that say
 * what arrived (never the body itself, which erasure may remove). The tree is RFC 6962's (Certificate
 * Transparency): leaves hashed with a 0x00 prefix, nodes with 0x01, so a leaf can never pass for a node.
 */

export interface Leaf {
  delivery_id: string;
  kind: string;
  integration: string;
  session_id: string;
  body_sha256: string;
  /** 'YYYY-MM-DD hh:mm:ss.mmm' UTC, as ClickHouse writes DateTime64(3). */
  received_at: string;
}

export const LEAF_FORMAT = 'ine-audit-leaf/1';

export const leafBytes = (l: Leaf): Buffer =>
  Buffer.from(JSON.stringify([LEAF_FORMAT, l.delivery_id, l.kind, l.integration, l.session_id, l.body_sha256, l.received_at]), 'utf8');

const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;
const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

export const leafHash = (l: Leaf): string => sha256(Buffer.concat([LEAF_PREFIX, leafBytes(l)])).toString('hex');

/** The order leaves are hashed in: by delivery id, byte-wise, so any process computes the same root. */
export const compareDeliveryIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** RFC 6962 Merkle tree hash of leaf hashes (hex) in the given order; the empty tree is SHA-256 of nothing. */
export function merkleRoot(leafHashes: readonly string[]): string {
  if (leafHashes.length === 0) return sha256(Buffer.alloc(0)).toString('hex');
  let level: Buffer[] = leafHashes.map((h) => Buffer.from(h, 'hex'));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha256(Buffer.concat([NODE_PREFIX, level[i]!, level[i + 1]!])));
    // An odd last node moves up unchanged: the same tree as RFC 6962's split at the largest power of two.
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!.toString('hex');
}
