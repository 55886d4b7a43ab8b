import type { ClickHouseClient } from '../lib/clickhouse.js';
import { DATABASE } from '../lib/clickhouse.js';
import type { LedgerKey } from './keys.js';
import { digestColumns, digestFromRow, firstCopy, msOfIso, type StoredDigest } from './store.js';
import { verifyStretch, type ChainStretch, type DeliveryFacts, type Finding, type LeafCopy } from './verify.js';

/** Loads the chain in stretches of CHUNK digests (memory stays bounded at any size) and verifies each. */

type Run = <T = Record<string, unknown>>(query: string, params?: Record<string, unknown>) => Promise<T[]>;
/** What the CLIs' SQL clients and queryRows both are. */
export type RunRows = (query: string, params?: Record<string, unknown>) => Promise<Array<Record<string, unknown>>>;

const CHUNK = 96;
/** Ingest's clock against ClickHouse's: a leaf may carry an insert time this much before its receipt. */
const CLOCK_SKEW_MS = 300_000;
const at = (param: string) => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;
/** Times come as text aliased apart from their column, so a WHERE on the column never reads the alias. */
const withReceivedAt = <T extends { received_text: string }>({ received_text, ...r }: T) => ({ ...r, received_at: received_text });

type DigestRow = Record<string, unknown>;

export interface VerifyStoreOptions {
  fromMs?: number;
  toMs?: number;
  lateWindowMs: number;
  rawRetentionDays: number;
}

export interface VerifyStoreResult {
  digests: number;
  leaves: number;
  findings: Finding[];
}

const sealedMembers = `SELECT delivery_id FROM ${DATABASE}.ledger_members WHERE seal_id IN {seals:Array(String)}`;

async function loadStretch(run: Run, digests: StoredDigest[], loMs: number, hiMs: number, lateWindowMs: number) {
  const seals = digests.map((d) => d.seal_id);
  const members = new Map<string, Array<{ delivery_id: string; leaf_hash: string }>>();
  for (const m of await run<{ seal_id: string; delivery_id: string; leaf_hash: string }>(`SELECT seal_id, delivery_id, leaf_hash FROM ${DATABASE}.ledger_members WHERE seal_id IN {seals:Array(String)}`, { seals })) {
    (members.get(m.seal_id) ?? members.set(m.seal_id, []).get(m.seal_id)!).push({ delivery_id: m.delivery_id, leaf_hash: m.leaf_hash });
  }
  const leafColumns = 'delivery_id, kind, integration, session_id, body_sha256, toString(received_at) AS received_text';
  const leaves = new Map<string, LeafCopy[]>();
  const copies = (await run<Omit<LeafCopy, 'received_at'> & { received_text: string; inserted_ms: string }>(
    `SELECT ${leafColumns}, toUnixTimestamp64Milli(inserted_at) AS inserted_ms FROM ${DATABASE}.ledger_leaves
     WHERE inserted_at >= ${at('lo')} AND inserted_at < ${at('hi')} AND delivery_id IN (${sealedMembers}) ORDER BY inserted_at`,
    { seals, lo: loMs, hi: hiMs },
  )).map(withReceivedAt);
  for (const c of copies) (leaves.get(c.delivery_id) ?? leaves.set(c.delivery_id, []).get(c.delivery_id)!).push({ ...c, inserted_ms: Number(c.inserted_ms) });
  // Delivery rows and raw copies are looked up where their leaves say they were received (partition and
  // key pruning); ids not found there (a changed received_at, a quarantine replay) are looked up anywhere.
  const range = { lo: hiMs, hi: loMs };
  for (const [copy] of leaves.values()) {
    const ms = Date.parse(`${copy!.received_at.replace(' ', 'T')}Z`);
    if (ms < range.lo) range.lo = ms;
    if (ms > range.hi) range.hi = ms;
  }
  const deliveryRows = await byDeliveryId<Omit<DeliveryFacts, 'received_at'> & { received_text: string }>(run, seals, range, (where) =>
    `SELECT DISTINCT delivery_id, kind, integration, session_id, toString(received_at) AS received_text FROM ${DATABASE}.deliveries WHERE ${where}`);
  const deliveries = new Map<string, DeliveryFacts>();
  for (const d of deliveryRows.map(withReceivedAt)) {
    // Copies of a delivery row are alike unless one was changed: keep one that differs from the leaf.
    const leaf = leaves.get(d.delivery_id)?.[0];
    const kept = deliveries.get(d.delivery_id);
    if (!kept || (leaf && (['kind', 'integration', 'session_id', 'received_at'] as const).some((f) => d[f] !== leaf[f]))) deliveries.set(d.delivery_id, d);
  }
  const rawRows = await byDeliveryId<{ delivery_id: string; stored_sha256: string; intact: number | boolean }>(run, seals, range, (where) =>
    `SELECT delivery_id, any(body_sha256) AS stored_sha256, min(lower(hex(SHA256(body))) = body_sha256) AS intact FROM ${DATABASE}.raw_payloads WHERE ${where} GROUP BY delivery_id`);
  const raw = new Map(rawRows.map((r) => [r.delivery_id, { body_sha256: r.stored_sha256, intact: Boolean(Number(r.intact)) }]));
  return { members, leaves, deliveries, raw, lateWindowMs };
}

/** Ids a URL parameter may list; beyond that the fallback lookup uses the members subquery itself. */
const MAX_LISTED_IDS = 500;

async function byDeliveryId<T extends { delivery_id: string }>(run: Run, seals: string[], range: { lo: number; hi: number }, select: (where: string) => string): Promise<T[]> {
  const members = `delivery_id IN (${sealedMembers})`;
  const found = await run<T>(select(`received_at >= ${at('lo')} AND received_at <= ${at('hi')} AND ${members}`), { seals, lo: range.lo, hi: range.hi });
  const ids = new Set(found.map((r) => r.delivery_id));
  const missing = (await run<{ delivery_id: string }>(sealedMembers, { seals })).map((m) => m.delivery_id).filter((id) => !ids.has(id));
  if (missing.length === 0) return found;
  const rest = missing.length <= MAX_LISTED_IDS
    ? await run<T>(select('delivery_id IN {ids:Array(String)}'), { ids: missing })
    : await run<T>(select(`${members} AND NOT (received_at >= ${at('lo')} AND received_at <= ${at('hi')})`), { seals, lo: range.lo, hi: range.hi });
  return [...found, ...rest];
}

/** Leaves that reached ClickHouse in [lo, hi) in no written digest, and delivery rows received then without any leaf. */
async function loadLoose(run: Run, loMs: number, hiMs: number, lateWindowMs: number) {
  const unsealed = (await run<LeafCopy & { inserted_ms: string }>(
    `SELECT delivery_id, first.1 AS kind, first.2 AS integration, first.3 AS session_id, first.4 AS body_sha256, first.5 AS received_at, inserted_ms FROM (
     SELECT delivery_id, ${firstCopy} AS first, toUnixTimestamp64Milli(min(inserted_at)) AS inserted_ms
     FROM ${DATABASE}.ledger_leaves WHERE inserted_at >= ${at('lo')} AND inserted_at < ${at('hi')}
       AND delivery_id NOT IN (SELECT delivery_id FROM ${DATABASE}.ledger_members
                               WHERE delivery_id IN (SELECT delivery_id FROM ${DATABASE}.ledger_leaves WHERE inserted_at >= ${at('lo')} AND inserted_at < ${at('hi')})
                                 AND seal_id IN (SELECT seal_id FROM ${DATABASE}.ledger_digests))
     GROUP BY delivery_id) ORDER BY inserted_ms, delivery_id`,
    { lo: loMs, hi: hiMs },
  )).map((l) => ({ ...l, inserted_ms: Number(l.inserted_ms) }));
  // A leaf reaches ClickHouse after its delivery was received: look for it from then to lateWindow after, then anywhere.
  const candidates = (await run<Omit<DeliveryFacts, 'received_at'> & { received_text: string }>(
    `SELECT DISTINCT delivery_id, kind, integration, session_id, toString(received_at) AS received_text FROM ${DATABASE}.deliveries
     WHERE received_at >= ${at('lo')} AND received_at < ${at('hi')}
       AND delivery_id NOT IN (SELECT delivery_id FROM ${DATABASE}.ledger_leaves WHERE inserted_at >= ${at('since')} AND inserted_at < ${at('until')})
     ORDER BY received_text, delivery_id`,
    { lo: loMs, hi: hiMs, since: loMs - CLOCK_SKEW_MS, until: hiMs + lateWindowMs },
  )).map(withReceivedAt);
  const listed = candidates.length <= MAX_LISTED_IDS;
  const withLeaf = candidates.length === 0 ? new Set<string>() : new Set((await run<{ delivery_id: string }>(
    `SELECT DISTINCT delivery_id FROM ${DATABASE}.ledger_leaves WHERE delivery_id IN ${listed ? '{ids:Array(String)}' : `(SELECT delivery_id FROM ${DATABASE}.deliveries WHERE received_at >= ${at('lo')} AND received_at < ${at('hi')})`}`,
    listed ? { ids: candidates.map((c) => c.delivery_id) } : { lo: loMs, hi: hiMs },
  )).map((r) => r.delivery_id));
  return { unsealed, leaflessDeliveries: candidates.filter((c) => !withLeaf.has(c.delivery_id)) };
}

async function erasureReceipts(run: Run): Promise<Map<string, string>> {
  const rows = await run<{ erasure_id: string; delivery_ids: string[] }>(`SELECT erasure_id, delivery_ids FROM ${DATABASE}.erasures ORDER BY at`);
  const by = new Map<string, string>();
  for (const r of rows) for (const id of r.delivery_ids) by.set(id, r.erasure_id);
  return by;
}

/** Recomputes every digest meeting [from, to) from the stored rows: signatures, links, leaves, delivery rows, raw copies. */
export async function verifyStore(runRows: RunRows, key: Pick<LedgerKey, 'publicKey' | 'keyId'>, options: VerifyStoreOptions): Promise<VerifyStoreResult> {
  const run: Run = (query, params) => runRows(query, params) as never;
  const fromMs = options.fromMs ?? 0;
  const toMs = options.toMs ?? 8_000_000_000_000;
  const all = (await run<DigestRow>(`SELECT ${digestColumns} FROM ${DATABASE}.ledger_digests
    WHERE interval_end > ${at('from')} AND interval_start < ${at('to')} ORDER BY interval_start, seq`, { from: fromMs, to: toMs })).map(digestFromRow);
  const [last] = (await run<DigestRow>(`SELECT ${digestColumns} FROM ${DATABASE}.ledger_digests ORDER BY interval_start DESC LIMIT 1`)).map(digestFromRow);
  const erasedBy = await erasureReceipts(run);
  const findings: Finding[] = [];
  let before: StoredDigest | null = null;
  if (all.length) {
    [before = null] = (await run<DigestRow>(`SELECT ${digestColumns} FROM ${DATABASE}.ledger_digests WHERE interval_start < ${at('start')} ORDER BY interval_start DESC LIMIT 1`, { start: msOfIso(all[0]!.interval_start) })).map(digestFromRow);
  }
  let leaves = 0;
  const base = { erasedBy, rawExpiredBeforeMs: Date.now() - options.rawRetentionDays * 86_400_000, lastSealedStartMs: last ? msOfIso(last.interval_start) : 0, publicKey: key.publicKey, keyId: key.keyId };
  for (let i = 0; i === 0 || i < all.length; i += CHUNK) {
    const digests = all.slice(i, i + CHUNK);
    const lo = i === 0 ? fromMs : msOfIso(digests[0]!.interval_start);
    const hi = i + CHUNK >= all.length ? toMs : msOfIso(digests.at(-1)!.interval_end);
    const firstSeq = digests[0]?.seq ?? 0;
    const stretch = digests.length ? await loadStretch(run, digests, firstSeq === 0 ? 0 : lo - options.lateWindowMs, hi, options.lateWindowMs) : { members: new Map(), leaves: new Map(), deliveries: new Map(), raw: new Map() };
    const loose = await loadLoose(run, lo, hi, options.lateWindowMs);
    const s: ChainStretch = { ...base, ...stretch, ...loose, digests, before };
    findings.push(...verifyStretch(s));
    leaves += [...stretch.members.values()].reduce((n, m) => n + m.length, 0);
    before = digests.at(-1) ?? before;
  }
  return { digests: all.length, leaves, findings };
}
