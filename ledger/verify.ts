import type { KeyObject } from 'node:crypto';
import { digestHash, GENESIS, signatureValid } from './digest.js';
import { compareDeliveryIds, leafHash, merkleRoot, type Leaf } from './merkle.js';
import type { StoredDigest } from './store.js';

/**
 * Checks a stretch of the chain against the stored rows. Pure: ledger/verify-store.ts loads the rows.
 * A finding is 'tampered' (the store differs from what was signed), 'erased' (a raw copy removed
 * under an erasure receipt) or 'unsealed' (a leaf waiting for its digest: not yet evidence, not tampering).
 */

export type FindingKind = 'tampered' | 'erased' | 'unsealed';
export interface Finding {
  kind: FindingKind;
  interval: string;
  what: string;
}

export interface LeafCopy extends Leaf {
  inserted_ms: number;
}
export interface DeliveryFacts {
  delivery_id: string;
  kind: string;
  integration: string;
  session_id: string;
  received_at: string;
}

export interface ChainStretch {
  /** In chain order. */
  digests: StoredDigest[];
  /** The digest before the first one (for its link), null when the first is the chain's start. */
  before: StoredDigest | null;
  members: Map<string, Array<{ delivery_id: string; leaf_hash: string }>>;
  /** Copies of each member's leaf, earliest first. */
  leaves: Map<string, LeafCopy[]>;
  deliveries: Map<string, DeliveryFacts>;
  raw: Map<string, { body_sha256: string; intact: boolean }>;
  /** Leaves that reached ClickHouse in the stretch and are in no digest. */
  unsealed: LeafCopy[];
  /** Delivery rows received in the stretch that have no leaf at all. */
  leaflessDeliveries: DeliveryFacts[];
  /** delivery id → receipt of the erasure that removed its raw copy. */
  erasedBy: Map<string, string>;
  /** Raw copies received before this have expired by RAW_RETENTION_DAYS. */
  rawExpiredBeforeMs: number;
  /** Start of the chain's last sealed interval: an unsealed leaf older than it was skipped by a digest. */
  lastSealedStartMs: number;
  publicKey: KeyObject;
  keyId: string;
}

export const intervalLabel = (d: { seq?: number; interval_start: string; interval_end: string }): string =>
  `[${d.interval_start}, ${d.interval_end})${d.seq === undefined ? '' : ` #${d.seq}`}`;

function checkDigest(d: StoredDigest, previous: StoredDigest | null, s: ChainStretch, afterGap: boolean): string[] {
  const problems: string[] = [];
  if (d.key_id !== s.keyId) problems.push(`signed by another key (${d.key_id.slice(0, 16)}…, expected ${s.keyId.slice(0, 16)}…)`);
  else if (!signatureValid(d, s.publicKey)) problems.push('bad signature');
  if (digestHash(d) !== d.digest_hash) problems.push('digest hash does not match its fields');
  const expectedPrevious = previous ? previous.digest_hash : GENESIS;
  if (previous === null && d.seq !== 0) problems.push(`digest missing: the chain starts at #${d.seq}, the digests before it are gone`);
  // After a gap the link cannot match; the gap is the finding.
  else if (!afterGap && d.previous_digest_hash !== expectedPrevious) problems.push(`broken link: previous_digest_hash ${d.previous_digest_hash.slice(0, 16)}… is not the hash of #${previous?.seq ?? '-'} (${expectedPrevious.slice(0, 16)}…)`);
  return problems;
}

const sameLeaf = (a: Leaf, b: Leaf) =>
  a.kind === b.kind && a.integration === b.integration && a.session_id === b.session_id && a.body_sha256 === b.body_sha256 && a.received_at === b.received_at;
const deliveryDiff = (leaf: Leaf, row: DeliveryFacts): string[] =>
  (['kind', 'integration', 'session_id', 'received_at'] as const).filter((f) => leaf[f] !== row[f]);

/** A member against its leaf, its delivery row and its raw copy. */
function checkMember(m: { delivery_id: string; leaf_hash: string }, s: ChainStretch, findings: (kind: FindingKind, what: string) => void): void {
  const id = m.delivery_id;
  const copies = s.leaves.get(id);
  if (!copies?.length) return findings('tampered', `leaf removed: delivery ${id} is sealed here but no longer in ledger_leaves`);
  const leaf = copies[0]!;
  if (leafHash(leaf) !== m.leaf_hash) return findings('tampered', `leaf changed: delivery ${id} no longer hashes to the sealed leaf`);
  if (copies.some((c) => !sameLeaf(c, leaf))) findings('tampered', `leaf changed: delivery ${id} has a later copy that differs from the sealed one`);
  const row = s.deliveries.get(id);
  if (!row) findings('tampered', `delivery row removed: delivery ${id} is sealed but missing from deliveries`);
  else if (deliveryDiff(leaf, row).length) findings('tampered', `delivery row changed: delivery ${id} differs from its sealed leaf in ${deliveryDiff(leaf, row).join(', ')}`);
  const raw = s.raw.get(id);
  if (raw && (raw.body_sha256 !== leaf.body_sha256 || !raw.intact)) findings('tampered', `raw copy changed: the body of delivery ${id} no longer has the sealed SHA-256`);
  if (!raw) {
    const receipt = s.erasedBy.get(id);
    if (receipt) findings('erased', `raw copy of delivery ${id} erased, with receipt ${receipt}`);
    else if (Date.parse(`${leaf.received_at.replace(' ', 'T')}Z`) >= s.rawExpiredBeforeMs) findings('tampered', `raw copy removed: delivery ${id} has no raw copy, no erasure receipt, and is within RAW_RETENTION_DAYS`);
  }
}

/** Every finding of the stretch; none means every digest, link, leaf, delivery row and raw copy is as sealed. */
export function verifyStretch(s: ChainStretch): Finding[] {
  const findings: Finding[] = [];
  let previous = s.before;
  const seen = new Map<string, number>();
  const gaps: Array<{ from: number; to: number; finding: Finding }> = [];
  for (const d of s.digests) {
    const interval = intervalLabel(d);
    const add = (kind: FindingKind, what: string) => findings.push({ kind, interval, what });
    const afterGap = previous !== null && previous.interval_end !== d.interval_start;
    if (previous && afterGap) {
      const finding: Finding = { kind: 'tampered', interval: intervalLabel({ interval_start: previous.interval_end, interval_end: d.interval_start }), what: `digest missing: no digest between #${previous.seq} and #${d.seq}` };
      gaps.push({ from: Date.parse(previous.interval_end), to: Date.parse(d.interval_start), finding });
      findings.push(finding);
    }
    for (const p of checkDigest(d, previous, s, afterGap)) add('tampered', p);
    const members = [...(s.members.get(d.seal_id) ?? [])].sort((a, b) => compareDeliveryIds(a.delivery_id, b.delivery_id));
    if (members.length !== d.leaf_count) add('tampered', `leaf ${members.length > d.leaf_count ? 'added' : 'removed'}: ${members.length} members stored, ${d.leaf_count} sealed`);
    else if (merkleRoot(members.map((m) => m.leaf_hash)) !== d.merkle_root) add('tampered', 'leaf changed: the stored members do not give the sealed Merkle root');
    for (const m of members) {
      const other = seen.get(m.delivery_id);
      if (other !== undefined) add('tampered', `leaf counted twice: delivery ${m.delivery_id} is also sealed in #${other}`);
      seen.set(m.delivery_id, d.seq);
      checkMember(m, s, add);
    }
    previous = d;
  }
  findings.push(...unsealedFindings({ ...s, leaflessDeliveries: s.leaflessDeliveries.filter((d) => !seen.has(d.delivery_id)) }, gaps));
  return findings;
}

function unsealedFindings(s: ChainStretch, gaps: Array<{ from: number; to: number; finding: Finding }>): Finding[] {
  const out: Finding[] = [];
  const containing = (ms: number) => s.digests.find((d) => Date.parse(d.interval_start) <= ms && ms < Date.parse(d.interval_end));
  const inGap = new Map<Finding, number>();
  for (const leaf of s.unsealed) {
    // The leaves of a removed digest are the gap's, not findings of their own.
    const gap = gaps.find((g) => g.from <= leaf.inserted_ms && leaf.inserted_ms < g.to);
    if (gap) {
      inGap.set(gap.finding, (inGap.get(gap.finding) ?? 0) + 1);
      continue;
    }
    const d = containing(leaf.inserted_ms);
    const interval = d ? intervalLabel(d) : `[${new Date(leaf.inserted_ms).toISOString()}]`;
    const skipped = leaf.inserted_ms < s.lastSealedStartMs;
    out.push(skipped
      ? { kind: 'tampered', interval, what: `leaf added: delivery ${leaf.delivery_id} reached ClickHouse ${new Date(leaf.inserted_ms).toISOString()} but is in no digest, though later intervals are sealed` }
      : { kind: 'unsealed', interval, what: `delivery ${leaf.delivery_id} waits for the next digest` });
  }
  for (const [finding, n] of inGap) finding.what += ` (${n} leaves there are in no digest)`;
  // A sealed delivery whose leaf is gone is already named as a removed leaf.
  for (const row of s.leaflessDeliveries) out.push({ kind: 'tampered', interval: `[${row.received_at}]`, what: `delivery row added: delivery ${row.delivery_id} is in deliveries but has no leaf` });
  return out;
}
