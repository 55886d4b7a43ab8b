import { DATABASE, insertOnce, insertRows, queryRows, type ClickHouseClient } from '../lib/clickhouse.js';
import { fromEpochMs } from '../lib/time.js';
import type { SignedDigest } from './digest.js';
import type { Leaf } from './merkle.js';

/** The ledger's SQL: reading leaves and digests, writing members and digests. No hashing here. */

export interface StoredDigest extends SignedDigest {
  seal_id: string;
}

const isoOfMs = (ms: unknown): string => new Date(Number(ms)).toISOString();
export const msOfIso = (iso: string): number => Date.parse(iso);

/** A digest's columns as every reader selects them (times as epoch ms), and the row they give back. */
export const digestColumns = `seq, toUnixTimestamp64Milli(interval_start) AS start_ms, toUnixTimestamp64Milli(interval_end) AS end_ms, leaf_count,
  merkle_root, previous_digest_hash, toUnixTimestamp64Milli(sealed_at) AS sealed_ms, key_id, digest_hash, signature, seal_id`;

type DigestRow = Record<string, unknown>;
export const digestFromRow = (r: DigestRow): StoredDigest => ({
  seq: Number(r.seq), interval_start: isoOfMs(r.start_ms), interval_end: isoOfMs(r.end_ms), leaf_count: Number(r.leaf_count), merkle_root: String(r.merkle_root),
  previous_digest_hash: String(r.previous_digest_hash), sealed_at: isoOfMs(r.sealed_ms), key_id: String(r.key_id), digest_hash: String(r.digest_hash),
  signature: String(r.signature), seal_id: String(r.seal_id),
});

export async function storeNowMs(client: ClickHouseClient): Promise<number> {
  const [row] = await queryRows<{ now: string }>(client, 'SELECT toUnixTimestamp64Milli(now64(3)) AS now');
  return Number(row!.now);
}

export async function lastDigest(client: ClickHouseClient): Promise<StoredDigest | null> {
  const [row] = await queryRows<DigestRow>(client, `SELECT ${digestColumns} FROM ${DATABASE}.ledger_digests ORDER BY interval_start DESC, seq DESC LIMIT 1`);
  return row ? digestFromRow(row) : null;
}

export async function digestOfInterval(client: ClickHouseClient, startMs: number): Promise<StoredDigest | null> {
  const [row] = await queryRows<DigestRow>(client, `SELECT ${digestColumns} FROM ${DATABASE}.ledger_digests WHERE interval_start = fromUnixTimestamp64Milli({start:Int64}, 'UTC') ORDER BY sealed_at LIMIT 1`, { start: startMs });
  return row ? digestFromRow(row) : null;
}

/** Digests whose interval meets [fromMs, toMs), in chain order. */
export async function digestsBetween(client: ClickHouseClient, fromMs: number, toMs: number): Promise<StoredDigest[]> {
  const rows = await queryRows<DigestRow>(
    client,
    `SELECT ${digestColumns} FROM ${DATABASE}.ledger_digests
     WHERE interval_end > fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND interval_start < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     ORDER BY interval_start, seq`,
    { from: fromMs, to: toMs },
  );
  return rows.map(digestFromRow);
}

/** The time the first leaf reached ClickHouse, or null for an empty ledger. */
export async function firstLeafMs(client: ClickHouseClient): Promise<number | null> {
  const [row] = await queryRows<{ n: string; t: string }>(client, `SELECT count() AS n, toUnixTimestamp64Milli(min(inserted_at)) AS t FROM ${DATABASE}.ledger_leaves`);
  return Number(row!.n) === 0 ? null : Number(row!.t);
}

/** The fields of a delivery id's first copy, which is its leaf. */
export const firstCopy = 'argMin((kind, integration, session_id, body_sha256, toString(received_at)), inserted_at)';

/** A delivery id's first copy is its leaf; the subquery keeps only members of a digest that was written. */
const unsealedLeavesSql = `
  SELECT delivery_id, first.1 AS kind, first.2 AS integration, first.3 AS session_id, first.4 AS body_sha256, first.5 AS received_at
  FROM (SELECT delivery_id, ${firstCopy} AS first
  FROM ${DATABASE}.ledger_leaves
  WHERE inserted_at >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND inserted_at < fromUnixTimestamp64Milli({end:Int64}, 'UTC')
    AND delivery_id NOT IN (
      SELECT delivery_id FROM ${DATABASE}.ledger_members
      WHERE delivery_id IN (SELECT delivery_id FROM ${DATABASE}.ledger_leaves
                            WHERE inserted_at >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND inserted_at < fromUnixTimestamp64Milli({end:Int64}, 'UTC'))
        AND seal_id IN (SELECT seal_id FROM ${DATABASE}.ledger_digests))
  GROUP BY delivery_id)`;

/** Leaves that reached ClickHouse in [loMs, endMs) and are in no digest yet. */
export const unsealedLeaves = (client: ClickHouseClient, loMs: number, endMs: number): Promise<Leaf[]> =>
  queryRows<Leaf>(client, unsealedLeavesSql, { lo: loMs, end: endMs });

const MEMBER_CHUNK = 100_000;

export async function insertMembers(client: ClickHouseClient, sealId: string, members: Array<{ delivery_id: string; leaf_hash: string }>): Promise<void> {
  for (let i = 0; i < members.length; i += MEMBER_CHUNK) {
    const rows = members.slice(i, i + MEMBER_CHUNK).map((m) => [sealId, m.delivery_id, m.leaf_hash]);
    await insertRows(client, `${DATABASE}.ledger_members`, ['seal_id', 'delivery_id', 'leaf_hash'], rows);
  }
}

/** The commit point of a seal. The token makes a second digest for the same interval a no-op, whoever sends it. */
export async function insertDigest(client: ClickHouseClient, d: StoredDigest): Promise<void> {
  const time = (iso: string) => fromEpochMs(msOfIso(iso));
  await insertOnce(client, `${DATABASE}.ledger_digests`, { ...d, interval_start: time(d.interval_start), interval_end: time(d.interval_end), sealed_at: time(d.sealed_at) }, `ledger-digest:${msOfIso(d.interval_start)}`);
}

/** Best effort: members of an attempt that lost its interval are ignored anyway; this only frees the space. */
export async function dropMembers(client: ClickHouseClient, sealId: string): Promise<void> {
  await client.command({ query: `DELETE FROM ${DATABASE}.ledger_members WHERE seal_id = {seal:String}`, query_params: { seal: sealId } });
}
