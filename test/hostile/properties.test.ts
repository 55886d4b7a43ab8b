import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../lib/time.js';
import { decisionStatuses } from '../../schemas/veriff/decision.schema.js';
import { loadFixture } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * Generated decision payloads against the real ingest and store (embedded mode: an accepted answer
 * means the rows are already committed). Fixed seeds keep every run the same; a failure prints the
 * counterexample and its seed.
 */

const ine = fc.record({
  faceMatch: fc.option(fc.boolean(), { nil: null }),
  faceMatchPercentage: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  responseStatus: fc.option(fc.constantFrom('success' as const, 'failure' as const), { nil: null }),
});

/** Decisions the schema accepts: known fields typed right, any unknown fields anywhere Veriff may add them. */
const validDecision = fc
  .record({
    sessionId: fc.uuid(),
    attemptId: fc.uuid(),
    status: fc.constantFrom(...decisionStatuses),
    code: fc.integer({ min: 0, max: 65_535 }),
    reason: fc.option(fc.string({ unit: 'grapheme', maxLength: 60 }), { nil: null }),
    reasonCode: fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: null }),
    decisionTime: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true }),
    vendorData: fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: null }),
    ine: fc.option(ine, { nil: null }),
    extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['__proto__', 'constructor'].includes(k)), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
  })
  .map((g) => {
    const d = loadFixture('decision-approved-ine-match');
    Object.assign(d.verification, {
      id: g.sessionId, attemptId: g.attemptId, status: g.status, code: g.code, reason: g.reason, reasonCode: g.reasonCode,
      decisionTime: g.decisionTime.toISOString(), vendorData: g.vendorData,
    });
    d.verification.additionalVerifiedData = g.ine ? { ineBiometricRegistryValidation: g.ine } : {};
    for (const [k, v] of Object.entries(g.extra)) if (!(k in d.verification)) d.verification[k] = v;
    return { body: d, g };
  });

/** One wrong field (or broken JSON) per payload, with the path the answer must name. */
const breakages: Array<{ path: string; breaks: (d: any) => void }> = [
  { path: 'verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatchPercentage', breaks: (d) => (d.verification.additionalVerifiedData = { ineBiometricRegistryValidation: { faceMatchPercentage: '89' } }) },
  { path: 'verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatchPercentage', breaks: (d) => (d.verification.additionalVerifiedData = { ineBiometricRegistryValidation: { faceMatchPercentage: 101 } }) },
  { path: 'verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatch', breaks: (d) => (d.verification.additionalVerifiedData = { ineBiometricRegistryValidation: { faceMatch: 'true' } }) },
  { path: 'verification.additionalVerifiedData.ineBiometricRegistryValidation.responseStatus', breaks: (d) => (d.verification.additionalVerifiedData = { ineBiometricRegistryValidation: { responseStatus: 'maybe' } }) },
  { path: 'verification.code', breaks: (d) => (d.verification.code = -1) },
  { path: 'verification.code', breaks: (d) => (d.verification.code = 9001.5) },
  { path: 'verification.code', breaks: (d) => (d.verification.code = '9001') },
  { path: 'verification.status', breaks: (d) => (d.verification.status = '') },
  { path: 'verification.decisionTime', breaks: (d) => (d.verification.decisionTime = '03/06/2025 15:10') },
  { path: 'verification.attemptId', breaks: (d) => delete d.verification.attemptId },
  { path: 'verification.id', breaks: (d) => (d.verification.id = 42) },
];

const brokenDecision = fc.oneof(
  fc.tuple(validDecision, fc.constantFrom(...breakages)).map(([{ body }, b]) => {
    b.breaks(body);
    return { raw: JSON.stringify(body), path: b.path };
  }),
  // Broken JSON: a valid payload cut anywhere.
  fc.tuple(validDecision, fc.double({ min: 0.05, max: 0.95, noNaN: true })).map(([{ body }, at]) => {
    const text = JSON.stringify(body);
    return { raw: text.slice(0, Math.floor(text.length * at)), path: '(root)' };
  }),
);

describe('property-based hostile input (fast-check)', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline('embedded', { env: { RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('signed valid decisions: 200 accepted and stored with exactly the values sent', async () => {
    const sent: Array<{ g: any }> = [];
    await fc.assert(
      fc.asyncProperty(validDecision, async ({ body, g }) => {
        const res = await signedPost(p.url, '/webhooks/veriff/decision', body, p.integration);
        expect(res).toMatchObject({ status: 200, body: { status: 'accepted' } });
        sent.push({ g });
      }),
      { numRuns: 120, seed: 20_251_125 },
    );
    const rows = await p.query<any>(
      'SELECT session_id, attempt_id, status, code, reason, reason_code, decision_time, ine_face_match, ine_face_match_percentage, ine_response_status FROM ine_audit.decisions_latest WHERE session_id IN {s:Array(String)}',
      { s: sent.map((x) => x.g.sessionId) },
    );
    const bySession = new Map(rows.map((r) => [r.session_id, r]));
    for (const { g } of sent) {
      expect(bySession.get(g.sessionId)).toEqual({
        session_id: g.sessionId,
        attempt_id: g.attemptId,
        status: g.status,
        code: g.code,
        reason: g.reason,
        reason_code: g.reasonCode,
        decision_time: toClickHouseTime(g.decisionTime.toISOString()),
        ine_face_match: g.ine?.faceMatch ?? null,
        ine_face_match_percentage: g.ine?.faceMatchPercentage ?? null,
        ine_response_status: g.ine?.responseStatus ?? null,
      });
    }
  });

  it('signed but broken decisions (wrong types, out of range, broken JSON): 200 quarantined naming the field, a quarantine row, never a 5xx', async () => {
    const sent: Array<{ deliveryId: string; path: string }> = [];
    const decisionCount = async () => (await p.query<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions WHERE integration = {i:String}', { i: p.integration.name }))[0]!.n;
    const before = await decisionCount();
    await fc.assert(
      fc.asyncProperty(brokenDecision, async ({ raw, path }) => {
        const res = await signedPost(p.url, '/webhooks/veriff/decision', raw, p.integration);
        expect(res.status).toBe(200);
        expect(res.body.status).toBe('quarantined');
        expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
        sent.push({ deliveryId: res.body.deliveryId, path });
      }),
      { numRuns: 120, seed: 20_251_126 },
    );
    const rows = await p.query<{ delivery_id: string; error_paths: string[] }>('SELECT delivery_id, error_paths FROM ine_audit.quarantine WHERE delivery_id IN {d:Array(String)}', { d: sent.map((s) => s.deliveryId) });
    const byDelivery = new Map(rows.map((r) => [r.delivery_id, r.error_paths]));
    for (const s of sent) expect(byDelivery.get(s.deliveryId)).toContain(s.path);
    expect(await decisionCount()).toBe(before);
  });

  it('unsigned, wrongly signed or unknown senders: 401 and a rejected_events row, never stored', async () => {
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 0, maxLength: 130 });
    const attempt = fc.oneof(
      fc.record({ kind: fc.constant('bad_signature' as const), signature: hex.filter((h) => h.length > 0) }),
      fc.record({ kind: fc.constant('bad_signature' as const), signature: fc.string({ minLength: 1, maxLength: 80 }).filter((s) => /^[\x21-\x7e]+$/.test(s)) }),
      fc.record({ kind: fc.constant('missing_signature' as const), signature: fc.constant('') }),
      fc.record({ kind: fc.constant('unknown_client' as const), signature: hex }),
    );
    const expected = new Map<string, { reason: string; count: number }>();
    const refusedSessions: string[] = [];
    await fc.assert(
      fc.asyncProperty(validDecision, attempt, async ({ body }, a) => {
        const raw = JSON.stringify(body);
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-auth-client': a.kind === 'unknown_client' ? 'nobody-knows-me' : p.integration.apiKey };
        if (a.signature) headers['x-hmac-signature'] = a.signature;
        const res = await fetch(`${p.url}/webhooks/veriff/decision`, { method: 'POST', headers, body: raw });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
        refusedSessions.push(body.verification.id);
        expected.set(a.kind, { reason: a.kind, count: (expected.get(a.kind)?.count ?? 0) + 1 });
      }),
      { numRuns: 80, seed: 20_251_127 },
    );
    const rows = await pollUntil(
      () => p.query<{ reason: string; n: number }>("SELECT reason, sum(delivery_count) AS n FROM ine_audit.rejected_events WHERE endpoint = '/webhooks/veriff/decision' AND status = 401 GROUP BY reason ORDER BY reason"),
      (r) => r.reduce((n, x) => n + Number(x.n), 0) === 80,
      { timeoutMs: 20_000, what: 'a rejection row per refused request' },
    );
    expect(Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]))).toEqual(Object.fromEntries([...expected.values()].map((e) => [e.reason, e.count])));
    expect(await p.query('SELECT session_id FROM ine_audit.raw_payloads WHERE session_id IN {s:Array(String)}', { s: refusedSessions })).toEqual([]);
  });
});
