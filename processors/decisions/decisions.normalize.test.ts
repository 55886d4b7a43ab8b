import { describe, expect, it } from 'vitest';
import { decisionWebhookSchema } from '../../schemas/veriff/decision.schema.js';
import { createPseudonymizer } from '../../lib/pseudonym.js';
import { loadFixture } from '../../test/helpers/fixtures.js';
import { expectedDecisionRows as expected } from '../../test/fixtures/expected-rows.js';
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
