import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunQuery } from '../../audits/runner.js';
import { consentIdOf, decisionIdOf, eventIdOf } from '../../pipeline/contract.js';
import { auditRows, auditStore, consent, decision, event, namespace, seedWithSources } from './support.js';

/*
 * One session, in the order things happened:
 *   09:00:00 started event · 09:01:00 ine consent (received 09:01:01) · 09:10:00 submitted event (its
 *   delivery stored twice, as a Kafka redelivery does)
 *   09:20:00 resubmission_requested decision with an INE block, not completed (the INE check)
 *   10:00:00 approved decision of a second attempt, delivered at 10:00:01 and again at 10:30:00
 * Another session of the same integration must not show up.
 */
describe('session-timeline', () => {
  const ns = namespace('tl');
  const T = ns.integration();
  const session = ns.session('main');
  const [attempt1, attempt2] = [randomUUID(), randomUUID()];
  const started = event('started', session, attempt1);
  const submitted = event('submitted', session, attempt1);
  const given = consent(session, { givenAt: '2025-06-03T09:01:00Z' });
  const resubmission = decision('decision-resubmission-requested-poor-image', session, '2025-06-03T09:20:00Z', { attemptId: attempt1 });
  const approved = decision('decision-approved-ine-match', session, '2025-06-03T10:00:00Z', { attemptId: attempt2 });
  let run: RunQuery;

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    // Kept apart: a background merge would fold the two copies of one delivery before the query does.
    await store.client.command({ query: 'SYSTEM STOP MERGES ine_audit.deliveries' });
    await seedWithSources(store.client, T, [
      { kind: 'event', body: started, receivedAt: '2025-06-03T09:00:00Z', source: 'webhook' },
      { kind: 'consent', body: given, receivedAt: '2025-06-03T09:01:01Z', source: 'import' },
      // Stored twice under one delivery id, as a Kafka redelivery stores it: still one delivery.
      { kind: 'event', body: submitted, receivedAt: '2025-06-03T09:10:00Z', source: 'webhook', deliveryId: `${ns.id}-kafka` },
      { kind: 'event', body: submitted, receivedAt: '2025-06-03T09:10:00Z', source: 'webhook', deliveryId: `${ns.id}-kafka` },
      { kind: 'decision', body: resubmission, receivedAt: '2025-06-03T09:20:01Z', source: 'webhook' },
      { kind: 'decision', body: approved, receivedAt: '2025-06-03T10:00:01Z', source: 'webhook' },
      { kind: 'decision', body: approved, receivedAt: '2025-06-03T10:30:00Z', source: 'webhook' },
      { kind: 'decision', body: decision('decision-declined-ine-no-match', ns.session('other'), '2025-06-03T09:30:00Z'), source: 'webhook' },
    ]);
  });

  it('lists events, consents, the INE check, decisions and deliveries in time order', async () => {
    const base = { code: null, attempt_id: '', integration: T, source: 'webhook' };
    const delivery = (at: string, what: string, recordId: string, source = 'webhook') => ({ ...base, at, kind: 'delivery', what, source, received_at: at, detail: `record_id=${recordId}` });
    expect(await auditRows(run, 'session-timeline', { session })).toEqual([
      { ...base, at: '2025-06-03 09:00:00.000', kind: 'event', what: 'started', code: 7001, attempt_id: attempt1, received_at: '2025-06-03 09:00:00.000', detail: 'feature=selfid' },
      delivery('2025-06-03 09:00:00.000', 'event delivery', eventIdOf(started)),
      { ...base, at: '2025-06-03 09:01:00.000', kind: 'consent', what: 'ine approved', source: '', received_at: '2025-06-03 09:01:01.000', detail: 'channel=web, text_version=v1' },
      delivery('2025-06-03 09:01:01.000', 'consent delivery', consentIdOf(given), 'import'),
      { ...base, at: '2025-06-03 09:10:00.000', kind: 'event', what: 'submitted', code: 7002, attempt_id: attempt1, received_at: '2025-06-03 09:10:00.000', detail: 'feature=selfid' },
      delivery('2025-06-03 09:10:00.000', 'event delivery', eventIdOf(submitted)),
      {
        ...base, at: '2025-06-03 09:20:00.000', kind: 'ine_check', what: 'consent none', source: '', received_at: null,
        detail: 'consent_given_at=2025-06-03 09:01:00.000, consent_approved=true',
      },
      {
        ...base, at: '2025-06-03 09:20:00.000', kind: 'decision', what: 'resubmission_requested', code: 9103, attempt_id: attempt1, received_at: '2025-06-03 09:20:01.000',
        detail: 'reason_code=204, reason=Poor image quality, ine=not_completed, face_match=, face_match_pct=',
      },
      delivery('2025-06-03 09:20:01.000', 'decision delivery', decisionIdOf(resubmission.verification)),
      {
        // The decision row keeps the latest delivery's receipt time.
        ...base, at: '2025-06-03 10:00:00.000', kind: 'decision', what: 'approved', code: 9001, attempt_id: attempt2, received_at: '2025-06-03 10:30:00.000',
        detail: 'reason_code=, reason=, ine=completed, face_match=true, face_match_pct=89',
      },
      delivery('2025-06-03 10:00:01.000', 'decision delivery', decisionIdOf(approved.verification)),
      delivery('2025-06-03 10:30:00.000', 'decision delivery', decisionIdOf(approved.verification)),
    ]);
  });

  it('exposes no personal data from the payloads', async () => {
    const text = JSON.stringify(await auditRows(run, 'session-timeline', { session }));
    const v = approved.verification;
    for (const secret of [v.person.firstName, v.person.lastName, v.person.idNumber, v.person.dateOfBirth, v.person.addresses[0].fullAddress, v.document.number, v.vendorData, v.endUserId, approved.technicalData.ip]) {
      expect(text).not.toContain(secret);
    }
  });

  it('is empty for an unknown session', async () => {
    expect(await auditRows(run, 'session-timeline', { session: ns.session('nobody') })).toEqual([]);
  });
});
