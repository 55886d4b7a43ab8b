import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { keyIdOf } from '../../ledger/digest.js';
import { loadLedgerKey } from '../../ledger/keys.js';
import { verifyStore } from '../../ledger/verify-store.js';
import { decisionFixtureNames, makeDecision } from '../helpers/fixtures.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';
import { spawnService, type ChildService } from '../helpers/processes.js';
import { deliverAll } from '../helpers/send.js';

/**
 * The N-processor drill: processors in Kafka mode sealing short intervals while they consume, one
 * SIGKILLed between writing a seal's members and its digest, another taking over the same store. On
 * the embedded store one process owns DATA_DIR at a time, so the processors follow each other (on a
 * ClickHouse server they would overlap; three sealers racing on one store are test/ledger/sealing.test.ts).
 * Every accepted delivery must end in exactly one digest, and verify-store must pass.
 */
const N = 3000;

describe('processors SIGKILLed during sealing, another taking over', () => {
  let ingest: TestPipeline;
  let processor: ChildService | null = null;
  let childEnv: Record<string, string>;

  beforeAll(async () => {
    ingest = await startPipeline('kafka', { roles: { ingest: true, processor: false } });
    childEnv = {
      ...ingest.env,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'ine-audit-ledger-kill-')),
      LOG_LEVEL: 'debug',
      BATCH_MAX_ROWS: '200',
      BATCH_MAX_WAIT_MS: '50',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_LAG_INTERVAL_MS: '0',
      LEDGER_INTERVAL_MS: '300',
      LEDGER_SEAL_GRACE_MS: '100',
      LEDGER_SEAL_CHECK_MS: '100',
      LEDGER_LATE_WINDOW_MS: '600000',
    };
  });
  afterAll(async () => {
    await processor?.kill('SIGTERM');
    await ingest?.stop();
  });

  /** Starts a processor and SIGKILLs it the moment it logs a seal's members written (its digest not yet). */
  async function killDuringSeal(): Promise<void> {
    const child = await spawnService(childEnv);
    processor = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no seal within 60 s\n${child.output()}`)), 60_000);
      const watch = (chunk: Buffer) => {
        if (!chunk.toString('utf8').includes('ledger members written, digest next')) return;
        child.child.kill('SIGKILL');
        child.child.stdout!.off('data', watch);
        clearTimeout(timer);
        resolve();
      };
      child.child.stdout!.on('data', watch);
    });
    expect((await child.exited).signal).toBe('SIGKILL');
  }

  it(`seals each of ${N} accepted deliveries in exactly one digest`, async () => {
    const bodies = Array.from({ length: N }, (_, i) => makeDecision(decisionFixtureNames[i % decisionFixtureNames.length]!));
    const delivering = deliverAll(ingest.url, '/webhooks/veriff/decision', bodies, ingest.integration, 8);
    delivering.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    // Orphans (members of a seal no digest names) prove a kill landed between members and digest.
    let orphans = 0;
    let kills = 0;
    for (let attempt = 1; attempt <= 8 && orphans === 0; attempt++, kills++) {
      await killDuringSeal();
      const probe = await spawnService({ ...childEnv, LEDGER_SEAL_CHECK_MS: '60000' });
      processor = probe;
      orphans = (await probe.sql<{ n: number }>('SELECT uniqExact(seal_id) AS n FROM ine_audit.ledger_members WHERE seal_id NOT IN (SELECT seal_id FROM ine_audit.ledger_digests)'))[0]!.n;
      expect((await probe.kill('SIGKILL')).signal).toBe('SIGKILL');
    }
    console.log(`[ledger-kill] ${kills} processors SIGKILLed during sealing; ${orphans} seal attempt(s) left without a digest`);
    expect(orphans).toBeGreaterThan(0);
    const answers = await delivering;
    expect(answers.filter((a) => a.status === 200 && a.body.status === 'accepted')).toHaveLength(N);

    processor = await spawnService(childEnv);
    const sql = processor.sql;
    const sealedOnce = () => sql<{ deliveries: number; sealed: number; twice: number }>(`
      SELECT (SELECT count() FROM ine_audit.deliveries FINAL WHERE integration = {i:String}) AS deliveries,
             uniqExact(delivery_id) AS sealed, count() - uniqExact(delivery_id) AS twice
      FROM ine_audit.ledger_members WHERE seal_id IN (SELECT seal_id FROM ine_audit.ledger_digests)`, { i: ingest.integration.name });
    const final = await pollUntil(sealedOnce, (r) => r[0]!.deliveries === N && r[0]!.sealed === N, { timeoutMs: 120_000, intervalMs: 500, what: 'every delivery sealed' });
    expect(final[0]).toEqual({ deliveries: N, sealed: N, twice: 0 });
    const [perInterval] = await sql<{ n: number }>('SELECT count() AS n FROM (SELECT interval_start FROM ine_audit.ledger_digests GROUP BY interval_start HAVING count() > 1)');
    expect(perInterval!.n).toBe(0);

    const key = loadLedgerKey({ dataDir: childEnv.DATA_DIR!, ledger: { signingKey: undefined } }, { create: false });
    expect(keyIdOf(createPublicKey(key.publicKeyPem))).toBe(key.keyId);
    // The door's URL parameters are ClickHouse text: an Array(String) is written as a literal.
    const asParam = (v: unknown) => (Array.isArray(v) ? `[${v.map((x) => `'${String(x)}'`).join(',')}]` : v);
    const result = await verifyStore((q, p = {}) => sql(q, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, asParam(v)]))), key, { lateWindowMs: 600_000, rawRetentionDays: 90 });
    expect(result.findings.filter((f) => f.kind === 'tampered')).toEqual([]);
    expect(result.leaves).toBe(N);
  });
});
