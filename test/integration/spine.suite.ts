import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { decisionFixtureNames, makeDecision } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { topicMessageCount } from '../helpers/kafka.js';
import { startPipeline, type Mode, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';
import { deliverAll } from '../helpers/send.js';

const SESSIONS = 1000;

/** The spine's acceptance suite; spine.kafka.test.ts and spine.embedded.test.ts run it per mode. */
export function spineSuite(mode: Mode): void {
describe(`spine in ${mode} mode`, () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline(mode);
  });
  afterAll(async () => {
    await p?.stop();
  });

  const latestCount = async () =>
    (await p.query<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions_latest WHERE integration = {i:String}', { i: p.integration.name }))[0]!.n;

  it(`turns ${SESSIONS} signed decision webhooks into ${SESSIONS} sessions, and duplicates into nothing`, async () => {
    const bodies = Array.from({ length: SESSIONS }, (_, i) => makeDecision(decisionFixtureNames[i % decisionFixtureNames.length]!));
    const first = await deliverAll(p.url, '/webhooks/veriff/decision', bodies, p.integration);
    expect(first.filter((r) => r.status === 200 && r.body.status === 'accepted')).toHaveLength(SESSIONS);
    await pollUntil(latestCount, (n) => n === SESSIONS, { what: 'all sessions in decisions_latest' });

    // INE fields exactly as sent, null staying null.
    const stored = await p.query<{ session_id: string; ine_face_match: boolean | null; ine_face_match_percentage: number | null; ine_response_status: string | null; status: string }>(
      'SELECT session_id, ine_face_match, ine_face_match_percentage, ine_response_status, status FROM ine_audit.decisions_latest WHERE integration = {i:String}',
      { i: p.integration.name },
    );
    const bySession = new Map(stored.map((r) => [r.session_id, r]));
    for (const b of bodies) {
      const ine = b.verification.additionalVerifiedData?.ineBiometricRegistryValidation;
      expect(bySession.get(b.verification.id)).toEqual({
        session_id: b.verification.id,
        status: b.verification.status,
        ine_face_match: ine?.faceMatch ?? null,
        ine_face_match_percentage: ine?.faceMatchPercentage ?? null,
        ine_response_status: ine?.responseStatus ?? null,
      });
    }

    // Veriff re-sends: the same 1,000 twice more.
    await deliverAll(p.url, '/webhooks/veriff/decision', bodies, p.integration);
    await deliverAll(p.url, '/webhooks/veriff/decision', bodies, p.integration);
    await pollUntil(
      async () => (await p.query<{ n: number }>("SELECT count() AS n FROM ine_audit.deliveries FINAL WHERE integration = {i:String} AND kind = 'decision'", { i: p.integration.name }))[0]!.n,
      (n) => n === 3 * SESSIONS,
      { what: 'every delivery recorded' },
    );
    expect(await latestCount()).toBe(SESSIONS);
    const decisions = await p.query<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions WHERE integration = {i:String}', { i: p.integration.name });
    expect(decisions[0]!.n).toBe(SESSIONS);
  });

  it('answers 401 to a bad signature, publishes nothing and records the attempt without its body', async () => {
    const body = makeDecision('decision-approved-ine-match');
    const topic = `${p.env.KAFKA_TOPIC_PREFIX}veriff.decisions.v1`;
    const before = mode === 'kafka' ? await topicMessageCount(inject('services').kafkaBrokers, topic) : 0;
    const res = await signedPost(p.url, '/webhooks/veriff/decision', body, p.integration, { signature: 'ab'.repeat(32) });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'unauthorized', message: 'bad signature' });
    const unknown = await signedPost(p.url, '/webhooks/veriff/decision', body, { ...p.integration, apiKey: 'nobody' });
    expect(unknown.status).toBe(401);
    if (mode === 'kafka') expect(await topicMessageCount(inject('services').kafkaBrokers, topic)).toBe(before);

    const rejected = await pollUntil(
      () => p.query<{ reason: string; integration: string | null; delivery_count: number }>(
        "SELECT reason, integration, delivery_count FROM ine_audit.rejected_events WHERE endpoint = '/webhooks/veriff/decision' ORDER BY reason"),
      (r) => r.length === 2,
      { what: 'rejections recorded' },
    );
    expect(rejected).toEqual([
      { reason: 'bad_signature', integration: p.integration.name, delivery_count: 1 },
      { reason: 'unknown_client', integration: null, delivery_count: 1 },
    ]);
    const columns = await p.query<{ name: string }>("SELECT name FROM system.columns WHERE database = 'ine_audit' AND table = 'rejection_log'");
    expect(columns.map((c) => c.name)).not.toContain('body');
    expect(await p.query('SELECT 1 FROM ine_audit.decisions WHERE session_id = {s:String}', { s: body.verification.id })).toEqual([]);
  });

  it('quarantines signed broken JSON and wrong types, naming the field, keeping the body', async () => {
    const broken = '{"status":"success","verification":{"id":';
    const wrongType = makeDecision('decision-approved-ine-match', {
      mutate: (d) => {
        d.verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatchPercentage = '89';
      },
    });
    const a = await signedPost(p.url, '/webhooks/veriff/decision', broken, p.integration);
    const b = await signedPost(p.url, '/webhooks/veriff/decision', wrongType, p.integration);
    expect(a).toMatchObject({ status: 200, body: { status: 'quarantined', errors: [{ path: '(root)' }] } });
    expect(a.body.errors[0].message).toMatch(/invalid JSON/);
    expect(b).toMatchObject({
      status: 200,
      body: { status: 'quarantined', errors: [{ path: 'verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatchPercentage' }] },
    });
    const rows = await pollUntil(
      () => p.query<{ delivery_id: string; body: string; error_paths: string[] }>(
        'SELECT delivery_id, body, error_paths FROM ine_audit.quarantine WHERE integration = {i:String} ORDER BY received_at',
        { i: p.integration.name },
      ),
      (r) => r.length === 2,
      { what: 'quarantined bodies stored' },
    );
    expect(rows.map((r) => r.delivery_id)).toEqual([a.body.deliveryId, b.body.deliveryId]);
    expect(rows[0]!.body).toBe(broken);
    expect(JSON.parse(rows[1]!.body)).toEqual(wrongType);
    expect(rows[1]!.error_paths).toEqual(['verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatchPercentage']);
    expect(await p.query('SELECT 1 FROM ine_audit.decisions WHERE session_id = {s:String}', { s: wrongType.verification.id })).toEqual([]);
  });
});
}
