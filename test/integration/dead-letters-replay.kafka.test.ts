import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { sha256Hex } from '../../lib/hash.js';
import type { QuarantineMessage } from '../../schemas/messages.js';
import { lastJson, runCli } from '../helpers/cli.js';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { publishRaw, topicMessageCount } from '../helpers/kafka.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';

describe('dead letters and replay (Kafka mode)', () => {
  let p: TestPipeline;
  const brokers = () => inject('services').kafkaBrokers;
  const topic = (name: string) => `${p.env.KAFKA_TOPIC_PREFIX}${name}`;
  beforeAll(async () => {
    p = await startPipeline('kafka');
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('dead-letters a poison message and keeps its partition flowing', async () => {
    const session = randomUUID();
    const good = makeDecision('decision-approved-ine-match', { sessionId: session });
    // Same key, so the same partition: the poison sits right before a valid message.
    await publishRaw(brokers(), topic('veriff.decisions.v1'), [{ key: session, value: '{"v":1,"kind":"decision","body":42}' }, { key: session, value: 'not json at all' }]);
    expect((await signedPost(p.url, '/webhooks/veriff/decision', good, p.integration)).body.status).toBe('accepted');

    await pollUntil(() => p.query('SELECT 1 FROM ine_audit.decisions WHERE session_id = {s:String}', { s: session }), (r) => r.length === 1, { what: 'valid message after the poison' });
    const letters = await pollUntil(
      () => p.query<{ topic: string; key: string; value: string; error: string }>('SELECT topic, key, value, error FROM ine_audit.dead_letters WHERE key = {s:String} ORDER BY offset', { s: session }),
      (r) => r.length === 2,
      { what: 'dead letters' },
    );
    expect(letters.map((l) => [l.topic, l.value])).toEqual([
      [topic('veriff.decisions.v1'), '{"v":1,"kind":"decision","body":42}'],
      [topic('veriff.decisions.v1'), 'not json at all'],
    ]);
    expect(letters[0]!.error).toMatch(/invalid message: .*deliveryId/);
    expect(letters[1]!.error).toMatch(/invalid JSON/);
    expect(await topicMessageCount(brokers(), topic('processor.dead-letters.v1'))).toBe(2);
  });

  it('replays quarantined bodies that now pass, exactly once, and leaves the others listed', async () => {
    const fixed = makeDecision('decision-declined-ine-no-match');
    const stillBroken = '{"verification": {"id": 1}}';
    // Bodies an older schema refused: the first passes today's schema, the second never will.
    const quarantined = [JSON.stringify(fixed), stillBroken].map((body): QuarantineMessage => ({
      v: 1, kind: 'decision', deliveryId: randomUUID(), integration: p.integration.name, receivedAt: new Date().toISOString(),
      bodySha256: sha256Hex(body), body, bodyEncoding: 'utf8', errors: [{ path: 'verification', message: 'refused by an older schema' }],
    }));
    await publishRaw(brokers(), topic('ingest.quarantine.v1'), quarantined.map((q) => ({ key: q.bodySha256, value: JSON.stringify(q) })));
    const pending = () => p.query<{ delivery_id: string }>('SELECT delivery_id FROM ine_audit.quarantine_pending WHERE integration = {i:String} ORDER BY delivery_id', { i: p.integration.name });
    await pollUntil(pending, (r) => r.length === 2, { what: 'quarantined' });

    const first = lastJson((await runCli('replay', ['--quarantined'], p.env)).stdout);
    expect(first).toEqual({ quarantined: 2, replayed: 1, stillInvalid: 1, erasedSkipped: 0 });
    const decided = await pollUntil(
      () => p.query<{ status: string; source: string; delivery_id: string }>('SELECT status, source, delivery_id FROM ine_audit.decisions WHERE session_id = {s:String}', { s: fixed.verification.id }),
      (r) => r.length === 1,
      { what: 'replayed decision' },
    );
    expect(decided).toEqual([{ status: 'declined', source: 'quarantine_replay', delivery_id: quarantined[0]!.deliveryId }]);
    await pollUntil(pending, (r) => r.length === 1 && r[0]!.delivery_id === quarantined[1]!.deliveryId, { what: 'only the broken body left pending' });

    const second = lastJson((await runCli('replay', ['--quarantined'], p.env)).stdout);
    expect(second).toEqual({ quarantined: 1, replayed: 0, stillInvalid: 1, erasedSkipped: 0 });
    expect(await p.query('SELECT delivery_id FROM ine_audit.deliveries FINAL WHERE record_id IN (SELECT decision_id FROM ine_audit.decisions WHERE session_id = {s:String})', { s: fixed.verification.id })).toHaveLength(1);
  });

  it('re-derives normalized rows from raw copies, idempotently', async () => {
    const bodies = ['decision-approved-ine-match', 'decision-declined-ine-provider-failure'].map((n) => makeDecision(n));
    for (const b of bodies) await signedPost(p.url, '/webhooks/veriff/decision', b, p.integration);
    const ids = bodies.map((b) => b.verification.id);
    const snapshot = () => p.query<Record<string, unknown>>(
      'SELECT * EXCEPT (inserted_at, row_version) FROM ine_audit.decision_rows FINAL WHERE session_id IN {s:Array(String)} ORDER BY session_id', { s: ids });
    const versions = () => p.query<{ v: string }>('SELECT toString(max(row_version)) AS v FROM ine_audit.decision_rows FINAL WHERE session_id IN {s:Array(String)}', { s: ids });
    const before = await pollUntil(snapshot, (r) => r.length === 2, { what: 'decisions stored' });
    const v0 = BigInt((await versions())[0]!.v);

    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    for (let round = 1; round <= 2; round++) {
      const out = lastJson((await runCli('replay', ['--from', from, '--to', to], p.env)).stdout);
      expect(out.rederived.decision).toBeGreaterThanOrEqual(2);
    }
    // Re-derived (newer row versions), and nothing visible changed or doubled.
    await pollUntil(versions, (r) => BigInt(r[0]!.v) > v0, { what: 're-derived rows' });
    expect(await snapshot()).toEqual(before);
    expect(await p.query('SELECT count() AS n FROM ine_audit.deliveries FINAL WHERE session_id IN {s:Array(String)}', { s: ids })).toEqual([{ n: 2 }]);
  });
});
