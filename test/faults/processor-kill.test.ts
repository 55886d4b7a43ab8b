import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsFor } from '../../pipeline/contract.js';
import { decisionFixtureNames, makeConsent, makeDecision } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';
import { committedOffsets, offsetReader, spawnService, type ChildService } from '../helpers/processes.js';
import { deliverAll } from '../helpers/send.js';

/**
 * Spine acceptance (a): a processor killed mid-stream and restarted loses nothing and duplicates nothing.
 * Ingest runs in this process (Kafka mode, no ClickHouse); the processor is a child process with its
 * own chdb directory, SIGKILLed inside a batch (rows inserted, offsets not yet committed) after it has
 * committed others, then started again on the same directory. Small batches (BATCH_MAX_ROWS=200) give
 * many insert/commit windows to land in.
 */
const N = 5000;

describe('processor killed with SIGKILL mid-stream, restarted', () => {
  let ingest: TestPipeline;
  let processor: ChildService | null = null;
  let childEnv: Record<string, string>;

  beforeAll(async () => {
    ingest = await startPipeline('kafka', { roles: { ingest: true, processor: false } });
    childEnv = {
      ...ingest.env,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'ine-audit-killed-')),
      BATCH_MAX_ROWS: '200',
      KAFKA_FETCH_MAX_WAIT_MS: '50',
      // A SIGKILLed member holds its partitions until its session times out; keep that short.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_LAG_INTERVAL_MS: '0',
    };
  });
  afterAll(async () => {
    await processor?.kill('SIGTERM');
    await ingest?.stop();
  });

  it(`loses nothing and duplicates nothing of ${N} decisions in decisions_latest, deliveries and consent_audit`, async () => {
    const bodies = Array.from({ length: N }, (_, i) => makeDecision(decisionFixtureNames[i % decisionFixtureNames.length]!));
    const t0 = Date.now();
    const answers = await deliverAll(ingest.url, '/webhooks/veriff/decision', bodies, ingest.integration, 32);
    expect(answers.filter((a) => a.status === 200 && a.body.status === 'accepted')).toHaveLength(N);
    const ineSessions = bodies.filter((b) => b.verification.additionalVerifiedData?.ineBiometricRegistryValidation).map((b) => b.verification.id as string);
    const consentLines = ineSessions.map((s) => JSON.stringify(makeConsent(s, { givenAt: '2025-01-01T00:00:00Z' }))).join('\n');
    const consents = await signedPost(ingest.url, '/consents', consentLines, ingest.integration, { contentType: 'application/x-ndjson' });
    expect(consents).toMatchObject({ status: 200, body: { accepted: ineSessions.length } });

    console.log(`[processor-kill] ${N} webhooks published in ${Date.now() - t0} ms`);
    const decisionsTopic = topicsFor(ingest.env.KAFKA_TOPIC_PREFIX!).decisions;
    const brokers = ingest.env.KAFKA_BROKERS!;
    const offsets = await offsetReader(brokers);
    const committed = async () => (await offsets.committed(childEnv.KAFKA_GROUP_ID!, [decisionsTopic]))[decisionsTopic] ?? 0;
    // Kill between an insert and its commit. A batch inserts raw_payloads first and decision_rows last,
    // then commits; offsets are read before rows. Deliveries stored beyond the offsets still committed
    // after the kill are a batch inserted and never committed: the restarted processor must get them
    // again and the tables must collapse them.
    const kills: Array<{ committed: number; stored: number }> = [];
    const midBatch = () => kills.some((k) => k.stored > k.committed);
    // On a loaded machine a kill can land just after a commit; each attempt uses up only a few batches.
    for (let attempt = 1; attempt <= 8 && !midBatch(); attempt++) {
      const child = await spawnService(childEnv);
      processor = child;
      const seen = await pollUntil(
        async () => {
          const c = await committed();
          const [raw] = await child.sql<{ n: number }>("SELECT uniqExact(delivery_id) AS n FROM ine_audit.raw_payloads WHERE kind = 'decision'");
          return { committed: c, stored: raw!.n };
        },
        (v) => v.committed > 0 && v.stored > v.committed,
        { intervalMs: 5, timeoutMs: 60_000, what: 'the processor inside a batch, after its first commit' },
      ).catch((err) => {
        throw new Error(`${(err as Error).message}\n--- processor output ---\n${child.output()}`);
      });
      expect((await child.kill('SIGKILL')).signal).toBe('SIGKILL');
      kills.push({ committed: await committed(), stored: seen.stored });
    }
    await offsets.close();
    console.log(`[processor-kill] kills (offsets committed / deliveries stored): ${kills.map((k) => `${k.committed}/${k.stored}`).join(', ')}`);
    expect(midBatch()).toBe(true);
    expect(kills.at(-1)!.committed).toBeLessThan(N);
    processor = await spawnService(childEnv);

    const sql = processor.sql;
    const latest = () => sql<{ n: number; sessions: number }>('SELECT count() AS n, uniqExact(session_id) AS sessions FROM ine_audit.decisions_latest WHERE integration = {i:String}', { i: ingest.integration.name });
    await pollUntil(async () => (await latest())[0]!.n, (n) => n >= N, { timeoutMs: 90_000, intervalMs: 250, what: 'every session in decisions_latest after the restart' });
    // Everything consumed and committed: no late batch may still add a row.
    await pollUntil(() => committedOffsets(brokers, childEnv.KAFKA_GROUP_ID!, [decisionsTopic]), (o) => o[decisionsTopic] === N, { timeoutMs: 30_000, what: 'all offsets committed' });

    expect((await latest())[0]).toEqual({ n: N, sessions: N });
    const stored = new Set((await sql<{ session_id: string }>('SELECT session_id FROM ine_audit.decisions_latest WHERE integration = {i:String}', { i: ingest.integration.name })).map((r) => r.session_id));
    expect(bodies.filter((b) => !stored.has(b.verification.id)).map((b) => b.verification.id)).toEqual([]);
    const [decisions] = await sql<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions WHERE integration = {i:String}', { i: ingest.integration.name });
    expect(decisions!.n).toBe(N);
    const [deliveries] = await sql<{ n: number }>("SELECT count() AS n FROM ine_audit.deliveries FINAL WHERE integration = {i:String} AND kind = 'decision'", { i: ingest.integration.name });
    expect(deliveries!.n).toBe(N);
    const [checked] = await sql<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions_latest WHERE integration = {i:String} AND ine_check_performed', { i: ingest.integration.name });
    expect(checked!.n).toBeGreaterThan(0);
    const audit = await pollUntil(
      () => sql<{ n: number; sessions: number; ok: number }>("SELECT count() AS n, uniqExact(session_id) AS sessions, countIf(violation = 'none') AS ok FROM ine_audit.consent_audit WHERE integration = {i:String}", { i: ingest.integration.name }),
      (r) => r[0]!.ok === checked!.n,
      { timeoutMs: 30_000, what: 'consent_audit complete' },
    );
    expect(audit[0]).toEqual({ n: checked!.n, sessions: checked!.n, ok: checked!.n });
  });
});
