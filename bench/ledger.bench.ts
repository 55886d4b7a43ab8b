import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, queryRows, type ClickHouseClient } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrate.js';
import { loadLedgerKey } from '../ledger/keys.js';
import { sealDue, type SealOptions } from '../ledger/sealer.js';
import { verifyStore } from '../ledger/verify-store.js';
import { figure, timed, type BenchContext, type Figure } from './lib.js';

/**
 * The ledger at volume (opt-in: `npm run bench -- ledger`): a month of 1 M deliveries × BENCH_SCALE
 * (raw copies of ~0.5 KB, delivery rows, leaves spread over 30 days by the time they reached
 * ClickHouse), sealed hourly from scratch (720 intervals), then `verify-store` over the month. Each
 * figure sits next to the read it cannot avoid: an interval's leaves read alone, and one pass over the
 * month's leaves and raw bodies hashed in ClickHouse.
 */
const HOUR = 3_600_000;
const DAYS = 30;

async function seedMonth(client: ClickHouseClient, total: number, startMs: number): Promise<void> {
  const spanMs = DAYS * 24 * HOUR;
  const params = { start: startMs, step: spanMs / total, total };
  await client.command({
    query: `INSERT INTO ine_audit.raw_payloads (delivery_id, kind, integration, session_id, source, received_at, body_sha256, body)
            SELECT concat('bench-', toString(number)), 'decision', 'bench', concat('session-', toString(intDiv(number, 3))), 'webhook',
                   fromUnixTimestamp64Milli(toInt64({start:Int64} + number * {step:Float64}), 'UTC'), lower(hex(SHA256(body))), body
            FROM (SELECT number, concat('{"n":', toString(number), ',"pad":"', repeat('x', 480), '"}') AS body FROM numbers({total:UInt64}))`,
    query_params: params,
  });
  // The materialized view stamped every leaf "now"; spread them over the month instead, a second after receipt.
  await client.command({ query: 'TRUNCATE TABLE ine_audit.ledger_leaves' });
  await client.command({
    query: `INSERT INTO ine_audit.ledger_leaves SELECT delivery_id, kind, integration, session_id, source, body_sha256, received_at, received_at + INTERVAL 1 SECOND FROM ine_audit.raw_payloads`,
  });
  await client.command({
    query: `INSERT INTO ine_audit.deliveries SELECT delivery_id, kind, concat('record-', delivery_id), session_id, integration, source, received_at, NULL FROM ine_audit.raw_payloads`,
  });
}

export async function benchLedger(ctx: BenchContext): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ine-audit-bench-ledger-'));
  const client = createClickHouse({ clickhouse: { url: undefined, user: undefined, password: undefined }, dataDir: dir });
  try {
    await migrate(client);
    const total = Math.round(1_000_000 * ctx.scale);
    const startMs = Math.floor((Date.now() - (DAYS + 1) * 24 * HOUR) / HOUR) * HOUR;
    const [seedMs] = await timed(() => seedMonth(client, total, startMs));
    ctx.log(`ledger: ${total} deliveries over ${DAYS} days seeded in ${Math.round(seedMs)} ms`);
    const key = loadLedgerKey({ dataDir: dir, ledger: { signingKey: undefined } }, { create: true });
    const options: SealOptions = { intervalMs: HOUR, graceMs: 60_000, lateWindowMs: 24 * HOUR };
    const perInterval: number[] = [];
    let last = performance.now();
    const [sealMs, sealed] = await timed(() => sealDue(client, key, options, () => {
      const now = performance.now();
      perInterval.push(now - last);
      last = now;
    }));
    perInterval.sort((a, b) => a - b);
    const intervals = await queryRows<{ s: string; e: string }>(client, "SELECT toUnixTimestamp64Milli(interval_start) AS s, toUnixTimestamp64Milli(interval_end) AS e FROM ine_audit.ledger_digests WHERE leaf_count > 0 ORDER BY interval_start LIMIT 24");
    let readMs = 0;
    for (const i of intervals) readMs += (await timed(() => queryRows(client, 'SELECT delivery_id, kind, integration, session_id, body_sha256, toString(received_at) AS r FROM ine_audit.ledger_leaves WHERE inserted_at >= fromUnixTimestamp64Milli({s:Int64}) AND inserted_at < fromUnixTimestamp64Milli({e:Int64})', { s: i.s, e: i.e })))[0];
    const meanSeal = sealMs / sealed;
    ctx.log(`ledger: ${sealed} intervals sealed in ${Math.round(sealMs)} ms (mean ${meanSeal.toFixed(1)} ms, p99 ${perInterval[Math.floor(perInterval.length * 0.99)]?.toFixed(1)} ms)`);

    const run = (q: string, p: Record<string, unknown> = {}) => queryRows(client, q, p);
    const month = { fromMs: startMs, toMs: startMs + DAYS * 24 * HOUR };
    const [verifyMs, result] = await timed(() => verifyStore(run, key, { ...month, lateWindowMs: options.lateWindowMs, rawRetentionDays: 3650 }));
    const tampered = result.findings.filter((f) => f.kind === 'tampered').length;
    const [scanMs] = await timed(() => run(`SELECT count() AS n, sum(cityHash64(lower(hex(SHA256(body))) = body_sha256)) AS ok FROM ine_audit.raw_payloads
      WHERE delivery_id IN (SELECT delivery_id FROM ine_audit.ledger_leaves)`));
    ctx.log(`ledger: verify-store over the month ${Math.round(verifyMs)} ms, ${result.digests} digests, ${result.leaves} leaves, ${tampered} tampered; one hashed pass ${Math.round(scanMs)} ms`);
    return [
      figure('ledger_seal_interval_ms', meanSeal, 'ms', readMs / Math.max(1, intervals.length), { note: `mean over ${sealed} hourly intervals of ${Math.round(total / sealed)} leaves; p99 ${perInterval[Math.floor(perInterval.length * 0.99)]?.toFixed(0)} ms; baseline: reading an interval's leaves` }),
      figure('ledger_seal_month_ms', Math.round(sealMs), 'ms', null, { note: `${sealed} intervals sealed from scratch (catch-up)` }),
      figure('ledger_verify_store_month_ms', Math.round(verifyMs), 'ms', Math.round(scanMs), { note: `${result.digests} digests, ${result.leaves} leaves, ${tampered} tampered; baseline: one pass hashing the raw bodies in ClickHouse` }),
      figure('ledger_peak_rss_mb', Math.round(process.resourceUsage().maxRSS / 1024), 'MB', null, { note: 'this process: chdb, sealing, verify-store' }),
    ];
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
