import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { loadLedgerKey, type LedgerKey } from '../../ledger/keys.js';
import { sealDue, type SealOptions } from '../../ledger/sealer.js';
import { storeNowMs } from '../../ledger/store.js';
import { makeConsent, makeDecision, makeEvent } from '../helpers/fixtures.js';
import { seedPayloads } from '../helpers/seed.js';
import { pollUntil } from '../helpers/poll.js';

/** Short intervals so a test seals several in a second or two. */
export const fastSeal: SealOptions = { intervalMs: 400, graceMs: 100, lateWindowMs: 60_000 };

export const testLedgerKey = (): LedgerKey => loadLedgerKey({ dataDir: mkdtempSync(join(tmpdir(), 'ine-audit-key-')), ledger: { signingKey: undefined } }, { create: true });

export const run = (client: ClickHouseClient) => <T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}) => queryRows<T>(client, query, params);

/** Waits for the next interval boundary of the store's clock, so what follows starts an interval of its own. */
export async function nextInterval(client: ClickHouseClient, options = fastSeal): Promise<number> {
  const now = await storeNowMs(client);
  const boundary = Math.floor(now / options.intervalMs) * options.intervalMs + options.intervalMs;
  await new Promise((r) => setTimeout(r, boundary - now + 5));
  return boundary;
}

/** Decisions, events and consents of `sessions` fresh sessions, through the pipeline's normalize and writer code. */
export async function seedSessions(client: ClickHouseClient, sessions: number): Promise<string[]> {
  const ids = Array.from({ length: sessions }, () => randomUUID());
  await seedPayloads(client, ids.flatMap((id) => [
    { kind: 'event' as const, body: makeEvent('started', id) },
    { kind: 'consent' as const, body: makeConsent(id) },
    { kind: 'decision' as const, body: makeDecision('decision-approved-ine-match', { sessionId: id }) },
  ]));
  return ids;
}

/** Seals until every interval that ended before `untilMs` is sealed; returns the end of the last digest. */
export async function sealThrough(client: ClickHouseClient, key: LedgerKey, untilMs: number, options = fastSeal): Promise<number> {
  return pollUntil(async () => {
    await sealDue(client, key, options);
    const [row] = await queryRows<{ end: string }>(client, 'SELECT toUnixTimestamp64Milli(max(interval_end)) AS end FROM ine_audit.ledger_digests');
    return Number(row!.end);
  }, (end) => end >= untilMs, { timeoutMs: 20_000, intervalMs: 50, what: 'the ledger sealed' });
}
