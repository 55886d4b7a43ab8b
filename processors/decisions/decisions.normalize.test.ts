import { describe, expect, it } from 'vitest';
import { decisionWebhookSchema } from '../../schemas/veriff/decision.schema.js';
import { createPseudonymizer } from '../../lib/pseudonym.js';
import { loadFixture } from '../../test/helpers/fixtures.js';
import { ineFields, normalizeDecision } from './decisions.normalize.js';

const ctx = {
  deliveryId: 'd-1',
  integration: 'acme',
  source: 'webhook',
  receivedAt: '2025-06-20 00:00:00.000',
  rowVersion: 1,
  pseudonymize: createPseudonymizer('pepper-for-unit-tests'),
};

const normalize = (name: string) => normalizeDecision(decisionWebhookSchema.parse(loadFixture(name)), ctx);

// What each fixture means, stated row by row.
const expected = [
  ['decision-approved-ine-match', { status: 'approved', code: 9001, reason_code: null, decision_time: '2025-06-03 15:10:40.123', ine_check_performed: true, ine_result_state: 'completed', ine_face_match: true, ine_face_match_percentage: 89, ine_response_status: 'success', ine_threshold_match: true, ine_inconsistent: false }],
  ['decision-approved-ine-boundary-85', { status: 'approved', code: 9001, reason_code: null, decision_time: '2025-06-10 14:22:10.010', ine_check_performed: true, ine_result_state: 'completed', ine_face_match: true, ine_face_match_percentage: 85, ine_response_status: 'success', ine_threshold_match: true, ine_inconsistent: false }],
  ['decision-declined-ine-boundary-84', { status: 'declined', code: 9102, reason_code: 123, decision_time: '2025-06-10 16:05:44.900', ine_check_performed: true, ine_result_state: 'completed', ine_face_match: false, ine_face_match_percentage: 84, ine_response_status: 'success', ine_threshold_match: false, ine_inconsistent: false }],
  ['decision-declined-ine-no-match', { status: 'declined', code: 9102, reason_code: 123, ine_check_performed: true, ine_result_state: 'completed', ine_face_match: false, ine_threshold_match: false, ine_inconsistent: false }],
  ['decision-declined-ine-provider-failure', { status: 'declined', code: 9102, reason_code: 123, decision_time: '2025-06-06 17:45:12.250', ine_check_performed: true, ine_result_state: 'provider_failure', ine_face_match: null, ine_face_match_percentage: null, ine_response_status: 'failure', ine_threshold_match: null, ine_inconsistent: null }],
  ['decision-review-ine-not-completed', { status: 'review', code: 9121, reason_code: null, ine_check_performed: true, ine_result_state: 'not_completed', ine_face_match: null, ine_face_match_percentage: null, ine_response_status: null, ine_threshold_match: null, ine_inconsistent: null, status_code_mismatch: false }],
  ['decision-resubmission-requested-poor-image', { status: 'resubmission_requested', code: 9103, reason: 'Poor image quality', reason_code: 204, decision_time: '2025-06-07 08:15:33.000', ine_check_performed: true, ine_result_state: 'not_completed', ine_face_match: null }],
  ['decision-expired-null-fields', { status: 'expired', code: 9104, reason: null, reason_code: null, decision_time: '2025-06-15 00:00:04.000', ine_check_performed: false, ine_result_state: 'absent', ine_face_match: null, ine_face_match_percentage: null, end_user_pseudonym: null, person_pseudonym: null, document_type: null }],
  ['decision-abandoned-null-fields', { status: 'abandoned', code: 9104, reason_code: null, ine_check_performed: false, ine_result_state: 'absent', status_code_mismatch: false, person_pseudonym: null }],
  ['decision-approved-extra-unknown-fields', { status: 'approved', code: 9001, decision_time: '2025-06-11 10:10:10.101', submission_time: '2025-06-11 10:05:59.000', ine_check_performed: true, ine_result_state: 'completed', ine_face_match: true, ine_face_match_percentage: 93, ine_threshold_match: true, ine_inconsistent: false, risk_score: 0.02, risk_labels: ['hypothetical_new_label'], document_type: 'ID_CARD', document_country: 'MX' }],
] as const;

describe('normalizeDecision', () => {
  it.each(expected)('%s', (name, row) => {
    expect(normalize(name)).toMatchObject(row);
  });

  it('covers every decision fixture', async () => {
    const { decisionFixtureNames } = await import('../../test/helpers/fixtures.js');
    expect(expected.map(([n]) => n).sort()).toEqual([...decisionFixtureNames].sort());
  });

  it('keeps no direct identifier: names, id numbers, birth dates, addresses, IPs', () => {
    const fixture = loadFixture('decision-approved-ine-match');
    const text = JSON.stringify(normalize('decision-approved-ine-match'));
    const person = fixture.verification.person;
    for (const value of [person.firstName, person.lastName, person.fullName, person.dateOfBirth, person.idNumber, person.addresses[0].fullAddress, fixture.technicalData.ip, fixture.verification.endUserId, fixture.verification.vendorData, fixture.verification.document.number]) {
      expect(text).not.toContain(value);
    }
  });

  it('pseudonymizes the person consistently so analysts can count by person', () => {
    const a = normalize('decision-approved-ine-match');
    const b = normalize('decision-approved-ine-match');
    expect(a.person_pseudonym).toMatch(/^[0-9a-f]{32}$/);
    expect(a.person_pseudonym).toBe(b.person_pseudonym);
    expect(a.person_pseudonym).not.toBe(normalize('decision-declined-ine-no-match').person_pseudonym);
  });

  it('converts any offset to UTC, moving across the day boundary', () => {
    const payload = decisionWebhookSchema.parse(loadFixture('decision-approved-ine-match'));
    payload.verification.decisionTime = '2025-06-30T21:30:00.123456-06:00';
    expect(normalizeDecision(payload, ctx).decision_time).toBe('2025-07-01 03:30:00.123');
  });

  it('flags a status whose code disagrees, keeping the status string', () => {
    const payload = decisionWebhookSchema.parse(loadFixture('decision-approved-ine-match'));
    payload.verification.code = 9102;
    expect(normalizeDecision(payload, ctx)).toMatchObject({ status: 'approved', code: 9102, status_code_mismatch: true });
  });
});

describe('ineFields', () => {
  it.each([
    [{ faceMatch: true, faceMatchPercentage: 70, responseStatus: 'success' as const }, { ine_threshold_match: false, ine_inconsistent: true }],
    [{ faceMatch: false, faceMatchPercentage: 95, responseStatus: 'success' as const }, { ine_threshold_match: true, ine_inconsistent: true }],
    [{ faceMatch: false, faceMatchPercentage: 84.6, responseStatus: 'success' as const }, { ine_face_match_percentage: 84, ine_threshold_match: false, ine_inconsistent: false }],
    [{ faceMatch: true, faceMatchPercentage: null, responseStatus: 'success' as const }, { ine_threshold_match: null, ine_inconsistent: null }],
    [{}, { ine_check_performed: true, ine_result_state: 'not_completed', ine_face_match: null }],
    [null, { ine_check_performed: false, ine_result_state: 'absent' }],
  ])('%j', (ine, fields) => {
    expect(ineFields(ine)).toMatchObject(fields);
  });
});
