import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { GENESIS, signDigest } from './digest.js';
import { loadLedgerKey, type LedgerKey } from './keys.js';
import { compareDeliveryIds, leafHash, merkleRoot } from './merkle.js';
import { digestOfInterval, dropMembers, firstLeafMs, insertDigest, insertMembers, lastDigest, msOfIso, storeNowMs, unsealedLeaves, type StoredDigest } from './store.js';

export interface SealOptions {
  intervalMs: number;
  graceMs: number;
  lateWindowMs: number;
}

export type SealResult = { outcome: 'sealed' | 'lost'; digest: StoredDigest } | { outcome: 'not_due' | 'empty' };

/** Intervals are aligned to multiples of intervalMs since the epoch; the end is the next boundary after start. */
export const intervalEndOf = (startMs: number, intervalMs: number): number => Math.floor(startMs / intervalMs) * intervalMs + intervalMs;

/**
 * Seals the next interval of the chain if it is due. The digest covers every leaf that reached
 * ClickHouse before the interval's end and is in no earlier digest (late leaves of earlier intervals
 * included), so a leaf is sealed once, by the first digest written after it became visible.
 * Members are written first, the digest last: a crash in between leaves orphan members the next
 * attempt ignores. Two sealers racing for one interval both write; ClickHouse keeps one digest.
 */
export async function sealNext(client: ClickHouseClient, key: LedgerKey, options: SealOptions, onMembersWritten?: (sealId: string, leaves: number) => void): Promise<SealResult> {
  const previous = await lastDigest(client);
  const startMs = previous ? msOfIso(previous.interval_end) : await firstLeafMs(client).then((t) => (t === null ? null : Math.floor(t / options.intervalMs) * options.intervalMs));
  if (startMs === null) return { outcome: 'empty' };
  const endMs = intervalEndOf(startMs, options.intervalMs);
  const nowMs = await storeNowMs(client);
  if (nowMs < endMs + options.graceMs) return { outcome: 'not_due' };

  const loMs = previous ? startMs - options.lateWindowMs : 0;
  const leaves = (await unsealedLeaves(client, loMs, endMs)).sort((a, b) => compareDeliveryIds(a.delivery_id, b.delivery_id));
  const members = leaves.map((l) => ({ delivery_id: l.delivery_id, leaf_hash: leafHash(l) }));
  const sealId = randomUUID();
  await insertMembers(client, sealId, members);
  onMembersWritten?.(sealId, members.length);
  const signed = signDigest({
    seq: previous ? previous.seq + 1 : 0,
    interval_start: new Date(startMs).toISOString(),
    interval_end: new Date(endMs).toISOString(),
    leaf_count: members.length,
    merkle_root: merkleRoot(members.map((m) => m.leaf_hash)),
    previous_digest_hash: previous?.digest_hash ?? GENESIS,
    sealed_at: new Date(nowMs).toISOString(),
    key_id: key.keyId,
  }, key.privateKey);
  await insertDigest(client, { ...signed, seal_id: sealId });
  const stored = await digestOfInterval(client, startMs);
  if (stored?.seal_id === sealId) return { outcome: 'sealed', digest: stored };
  await dropMembers(client, sealId);
  return { outcome: 'lost', digest: stored! };
}

/** Seals every interval that is due, oldest first (catching up after downtime). */
export async function sealDue(client: ClickHouseClient, key: LedgerKey, options: SealOptions, onSealed?: (r: SealResult) => void, onMembersWritten?: (sealId: string, leaves: number) => void): Promise<number> {
  let sealed = 0;
  for (;;) {
    const result = await sealNext(client, key, options, onMembersWritten);
    if (result.outcome === 'not_due' || result.outcome === 'empty') return sealed;
    if (result.outcome === 'sealed') sealed++;
    onSealed?.(result);
  }
}

/**
 * The one entry point for the process that owns the store's scheduled work: seals what is due every
 * LEDGER_SEAL_CHECK_MS; never two rounds at once. Returns the stop function (waits for a round in flight).
 */
export function startLedgerSealer(deps: { client: ClickHouseClient; config: Config; log: Logger }): () => Promise<void> {
  const { client, config } = deps;
  const log = deps.log.child({ component: 'ledger' });
  const key = loadLedgerKey(config, { create: true });
  const options: SealOptions = { intervalMs: config.ledger.intervalMs, graceMs: config.ledger.graceMs, lateWindowMs: config.ledger.lateWindowMs };
  log.info({ keyId: key.keyId, keySource: key.source, intervalMs: options.intervalMs }, 'ledger sealer started');
  // Processors sharing a server each seal some intervals: with keys of their own, verify-store names every other one's digests.
  if (config.clickhouse.url && !config.ledger.signingKey) log.warn({ keySource: key.source }, 'LEDGER_SIGNING_KEY is unset with a ClickHouse server: give every processor the same key');
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let round: Promise<void> = Promise.resolve();
  const tick = () => {
    round = sealDue(client, key, options, (r) => {
      if (r.outcome === 'sealed') log.info({ seq: r.digest.seq, intervalStart: r.digest.interval_start, leaves: r.digest.leaf_count }, 'ledger interval sealed');
      else if (r.outcome === 'lost') log.info({ seq: r.digest.seq, intervalStart: r.digest.interval_start }, 'ledger interval sealed by another process');
    }, (sealId, leaves) => log.debug({ sealId, leaves }, 'ledger members written, digest next'))
      .then(() => undefined, (err: unknown) => log.warn({ err }, 'ledger sealing failed, retrying at the next check'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, config.ledger.checkMs).unref();
      });
  };
  timer = setTimeout(tick, Math.min(config.ledger.checkMs, 1000)).unref();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await round;
  };
}
