import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedDecisionRows } from '../fixtures/expected-rows.js';
import { makeConsent, makeDecision, makeEvent } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type Mode, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';

/** The domain issue's acceptance suite; run per mode by domain.*.test.ts. */
export function domainSuite(mode: Mode): void {
  describe(`Veriff domain in ${mode} mode`, () => {
    let p: TestPipeline;
    beforeAll(async () => {
      p = await startPipeline(mode, { env: { BODY_LIMIT_BYTES: '65536' } });
    });
    afterAll(async () => {
      await p?.stop();
    });

    const post = (path: string, body: unknown, options?: Parameters<typeof signedPost>[4]) => signedPost(p.url, path, body, p.integration, options);
    const until = <T>(sql: string, params: Record<string, unknown>, done: (rows: T[]) => boolean, what: string) =>
      pollUntil(() => p.query<T>(sql, params), done, { what });

    it.each(expectedDecisionRows)('%s lands in ClickHouse as it means', async (name, expected) => {
      const body = makeDecision(name);
      expect((await post('/webhooks/veriff/decision', body)).body.status).toBe('accepted');
      const [row] = await until<Record<string, unknown>>('SELECT * FROM ine_audit.decisions WHERE session_id = {s:String}', { s: body.verification.id }, (r) => r.length === 1, name);
      expect(row).toMatchObject({ ...expected, session_id: body.verification.id, attempt_id: body.verification.attemptId, integration: p.integration.name, source: 'webhook' });
      const raw = await p.query<{ body: string }>('SELECT body FROM ine_audit.raw_payloads WHERE session_id = {s:String}', { s: body.verification.id });
      expect(raw.map((r) => JSON.parse(r.body))).toEqual([body]);
    });

    it('stores session events, and an event posted to the decision URL as an event', async () => {
      const session = randomUUID();
      const attempt = randomUUID();
      expect((await post('/webhooks/veriff/event', makeEvent('started', session, attempt))).body.status).toBe('accepted');
      expect((await post('/webhooks/veriff/decision', makeEvent('submitted', session, attempt))).body.status).toBe('accepted');
      await post('/webhooks/veriff/event', makeEvent('started', session, attempt)); // a re-send
      const events = await until<{ code: number; action: string }>(
        'SELECT code, action FROM ine_audit.session_events WHERE session_id = {s:String} ORDER BY code', { s: session }, (r) => r.length === 2, 'events');
      expect(events).toEqual([{ code: 7001, action: 'started' }, { code: 7002, action: 'submitted' }]);
    });

    it('lines up decisions and consents in consent_audit, detecting every violation kind', async () => {
      const check = '2025-06-10T12:00:00.000000Z';
      const before = '2025-06-10T11:00:00Z';
      const after = '2025-06-10T13:00:00Z';
      const cases: Array<[string, Array<Partial<{ approved: boolean; givenAt: string; type: string }>>, string, boolean | null]> = [
        ['approved before', [{ approved: true, givenAt: before }], 'none', true],
        ['none at all', [], 'missing', null],
        ['only a bipa consent', [{ type: 'bipa', approved: true, givenAt: before }], 'missing', null],
        ['refused before', [{ approved: false, givenAt: before }], 'refused', false],
        ['given after the check', [{ approved: true, givenAt: after }], 'after_check', true],
        ['approved, then withdrawn after', [{ approved: true, givenAt: before }, { approved: false, givenAt: after }], 'none', true],
        ['refused, then approved before', [{ approved: false, givenAt: '2025-06-10T10:00:00Z' }, { approved: true, givenAt: before }], 'none', true],
        ['approved exactly at the check', [{ approved: true, givenAt: '2025-06-10T06:00:00-06:00' }], 'none', true],
      ];
      const sessions = cases.map(() => randomUUID());
      const ndjson = cases.flatMap(([, consents], i) => consents.map((c) => JSON.stringify(makeConsent(sessions[i]!, c)))).join('\n');
      const consentAnswer = await post('/consents', ndjson, { contentType: 'application/x-ndjson' });
      expect(consentAnswer).toMatchObject({ status: 200, body: { status: 'accepted', rejected: [] } });
      for (const s of sessions) expect((await post('/webhooks/veriff/decision', makeDecision('decision-approved-ine-match', { sessionId: s, decisionTime: check }))).status).toBe(200);
      const noIne = makeDecision('decision-expired-null-fields', { decisionTime: check });
      await post('/webhooks/veriff/decision', noIne);

      const audit = await until<{ session_id: string; violation: string; consent_approved: boolean | null; ine_checked_at: string; integration: string }>(
        'SELECT session_id, violation, consent_approved, toString(ine_checked_at) AS ine_checked_at, integration FROM ine_audit.consent_audit WHERE session_id IN {s:Array(String)}',
        { s: [...sessions, noIne.verification.id] }, (r) => r.length === sessions.length, 'consent audit rows');
      const bySession = new Map(audit.map((a) => [a.session_id, a]));
      cases.forEach(([label, , violation, approved], i) => {
        expect({ label, ...bySession.get(sessions[i]!) }).toEqual({ label, session_id: sessions[i], violation, consent_approved: approved, ine_checked_at: '2025-06-10 12:00:00.000', integration: p.integration.name });
      });
      expect(bySession.has(noIne.verification.id)).toBe(false);
    });

    it('records every kind of malformed input in rejected_events, collapsing re-sends', async () => {
      const decision = makeDecision('decision-approved-ine-match');
      for (let i = 0; i < 3; i++) await post('/webhooks/veriff/decision', decision, { signature: '00'.repeat(32) });
      const noSignature = await fetch(`${p.url}/webhooks/veriff/event`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-client': p.integration.apiKey }, body: '{}' });
      const tooLarge = await post('/webhooks/veriff/decision', { ...decision, padding: 'x'.repeat(70_000) });
      const wrongType = await post('/webhooks/veriff/decision', decision, { contentType: 'text/plain' });
      const badConsent = await post('/consents', { sessionId: randomUUID(), type: 'ine', approved: 'yes', givenAt: '2025-06-10' });
      const mixed = await post('/consents', [JSON.stringify(makeConsent(randomUUID())), '{"sessionId":', JSON.stringify({ type: 'ine' })].join('\n'), { contentType: 'application/x-ndjson' });

      expect([noSignature.status, tooLarge.status, wrongType.status, badConsent.status, mixed.status]).toEqual([401, 413, 415, 400, 200]);
      expect(badConsent.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'approved' }, { path: 'givenAt' }] });
      expect(mixed.body).toMatchObject({ status: 'partial', accepted: 1, acceptedLines: [1], rejected: [{ line: 2, errors: [{ path: '(root)' }] }, { line: 3 }] });
      expect(mixed.body.rejected[1].errors.map((e: { path: string }) => e.path)).toEqual(['sessionId', 'approved', 'givenAt']);

      const rejected = await until<{ endpoint: string; status: number; reason: string; paths: string[]; delivery_count: number }>(
        `SELECT endpoint, status, reason, paths, delivery_count FROM ine_audit.rejected_events
         WHERE last_seen_at >= now64(3) - INTERVAL 5 MINUTE AND (integration = {i:String} OR reason = 'body_too_large')
         ORDER BY endpoint, status, reason, length(paths)`,
        { i: p.integration.name }, (r) => r.length === 7, 'rejections');
      expect(rejected).toEqual([
        { endpoint: '/consents', status: 400, reason: 'invalid_consent', paths: ['(root)'], delivery_count: 1 },
        { endpoint: '/consents', status: 400, reason: 'invalid_consent', paths: ['approved', 'givenAt'], delivery_count: 1 },
        { endpoint: '/consents', status: 400, reason: 'invalid_consent', paths: ['approved', 'givenAt', 'sessionId'], delivery_count: 1 },
        { endpoint: '/webhooks/veriff/decision', status: 401, reason: 'bad_signature', paths: [], delivery_count: 3 },
        { endpoint: '/webhooks/veriff/decision', status: 413, reason: 'body_too_large', paths: [], delivery_count: 1 },
        { endpoint: '/webhooks/veriff/decision', status: 415, reason: 'unsupported_media_type', paths: ['content-type'], delivery_count: 1 },
        { endpoint: '/webhooks/veriff/event', status: 401, reason: 'missing_signature', paths: [], delivery_count: 1 },
      ]);
    });

    it('lists an unknown Veriff webhook type in quarantine instead of failing', async () => {
      const legacy = { eventType: 'ine_registry', sessionId: randomUUID(), attemptId: randomUUID(), version: '1.0', time: '2025-06-10T12:00:00Z', data: { status: 'success' } };
      const answer = await post('/webhooks/veriff/decision', legacy);
      expect(answer).toMatchObject({ status: 200, body: { status: 'quarantined', errors: [{ path: 'eventType' }] } });
      await until('SELECT 1 FROM ine_audit.quarantine_pending WHERE delivery_id = {d:String}', { d: answer.body.deliveryId }, (r) => r.length === 1, 'pending quarantine');
    });
  });
}
