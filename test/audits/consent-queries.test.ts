import { beforeAll, describe, expect, it } from 'vitest';
import type { RunQuery } from '../../audits/runner.js';
import { auditRows, auditStore, consent, decision, june, namespace, seed } from './support.js';

/*
 * Consent scenario, two integrations (A, B), June 2025:
 *   a1 INE check 06-03 15:10:40, approved consent 15:00 before it          → none
 *   a2 INE check 06-04 09:31:02.5, no consent                               → missing
 *   a3 INE check 06-05 11:00, consent refused 10:00                         → refused
 *   a4 expired, no INE block                                                → not an INE check
 *   a5 INE check at exactly 06-01 00:00 (from is inclusive), consent at the same instant → none
 *   a6 INE check at exactly 07-01 00:00 (to is exclusive)                   → outside
 *   a7 INE check 05-31 23:59:59.999                                         → outside
 *   b1 provider failure 06-06 17:45:12.25, consent approved 18:00 after it  → after_check
 *   b2 INE check 06-10, consent 06-01                                       → none
 *   b3 INE check 06-07 08:15:33, refused 08:00 then approved 08:10          → none (latest before wins)
 */
describe('consent audit queries', () => {
  const ns = namespace('cons');
  const A = ns.integration('a');
  const B = ns.integration('b');
  const s = ns.session;
  let run: RunQuery;

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    await seed(store.client, A, [
      { kind: 'consent', body: consent(s('a1'), { givenAt: '2025-06-03T15:00:00Z' }) },
      { kind: 'decision', body: decision('decision-approved-ine-match', s('a1'), '2025-06-03T15:10:40.123456Z') },
      { kind: 'decision', body: decision('decision-declined-ine-no-match', s('a2'), '2025-06-04T09:31:02.5Z') },
      { kind: 'consent', body: consent(s('a3'), { givenAt: '2025-06-05T10:00:00Z', approved: false }) },
      { kind: 'decision', body: decision('decision-review-ine-not-completed', s('a3'), '2025-06-05T11:00:00Z') },
      { kind: 'decision', body: decision('decision-expired-null-fields', s('a4'), '2025-06-15T00:00:04Z') },
      { kind: 'consent', body: consent(s('a5'), { givenAt: '2025-06-01T00:00:00Z' }) },
      { kind: 'decision', body: decision('decision-approved-ine-boundary-85', s('a5'), '2025-06-01T00:00:00Z') },
      { kind: 'decision', body: decision('decision-approved-ine-match', s('a6'), '2025-07-01T00:00:00Z') },
      { kind: 'decision', body: decision('decision-approved-ine-match', s('a7'), '2025-05-31T23:59:59.999Z') },
    ]);
    await seed(store.client, B, [
      { kind: 'decision', body: decision('decision-declined-ine-provider-failure', s('b1'), '2025-06-06T17:45:12.25Z') },
      { kind: 'consent', body: consent(s('b1'), { givenAt: '2025-06-06T18:00:00Z' }) },
      { kind: 'consent', body: consent(s('b2'), { givenAt: '2025-06-01T08:00:00Z' }) },
      { kind: 'decision', body: decision('decision-declined-ine-boundary-84', s('b2'), '2025-06-10T16:05:44.9Z') },
      { kind: 'consent', body: consent(s('b3'), { givenAt: '2025-06-07T08:00:00Z', approved: false }) },
      { kind: 'consent', body: consent(s('b3'), { givenAt: '2025-06-07T08:10:00Z' }) },
      { kind: 'decision', body: decision('decision-resubmission-requested-poor-image', s('b3'), '2025-06-07T08:15:33Z') },
    ]);
  });

  const coverageA = { integration: A, ine_checks: 4, consented: 2, missing: 1, refused: 1, after_check: 0, coverage_pct: 50 };
  const coverageB = { integration: B, ine_checks: 3, consented: 2, missing: 0, refused: 0, after_check: 1, coverage_pct: 66.67 };

  it('consent-coverage counts each verdict per integration, period [from, to)', async () => {
    expect(await auditRows(run, 'consent-coverage', { ...june, integration: A })).toEqual([coverageA]);
    expect(await auditRows(run, 'consent-coverage', { ...june, integration: B })).toEqual([coverageB]);
  });

  it('consent-coverage without --integration groups every integration', async () => {
    const rows = await auditRows(run, 'consent-coverage', { ...june });
    // Other suites may share a ClickHouse server: look at this suite's integrations only.
    expect(rows.filter((r) => r.integration === A || r.integration === B)).toEqual([coverageA, coverageB]);
  });

  it('consent-coverage honours instants with offsets at the period edges', async () => {
    // 2025-05-31T18:00:00-06:00 is 06-01 00:00 UTC: a5 is in; 06-30T18:00-06:00 is 07-01 00:00 UTC: a6 is out.
    const rows = await auditRows(run, 'consent-coverage', { from: '2025-05-31T18:00:00-06:00', to: '2025-06-30T18:00:00-06:00', integration: A });
    expect(rows).toEqual([coverageA]);
    const justA7 = await auditRows(run, 'consent-coverage', { from: '2025-05-31T23:59:59.999Z', to: '2025-06-01T00:00:00Z', integration: A });
    expect(justA7).toEqual([{ integration: A, ine_checks: 1, consented: 0, missing: 1, refused: 0, after_check: 0, coverage_pct: 0 }]);
  });

  it('consent-violations lists missing, refused and after_check sessions in check order', async () => {
    expect(await auditRows(run, 'consent-violations', { ...june, integration: A })).toEqual([
      { session_id: s('a2'), integration: A, ine_checked_at: '2025-06-04 09:31:02.500', violation: 'missing', consent_given_at: null, consent_approved: null, latest_status: 'declined' },
      { session_id: s('a3'), integration: A, ine_checked_at: '2025-06-05 11:00:00.000', violation: 'refused', consent_given_at: '2025-06-05 10:00:00.000', consent_approved: false, latest_status: 'review' },
    ]);
    expect(await auditRows(run, 'consent-violations', { ...june, integration: B })).toEqual([
      { session_id: s('b1'), integration: B, ine_checked_at: '2025-06-06 17:45:12.250', violation: 'after_check', consent_given_at: '2025-06-06 18:00:00.000', consent_approved: true, latest_status: 'declined' },
    ]);
  });

  it('consent-violations is empty for a period without violations', async () => {
    expect(await auditRows(run, 'consent-violations', { from: '2025-06-10', to: '2025-06-11', integration: B })).toEqual([]);
  });

  it('period-summary gives the headline figures of the period', async () => {
    // A in June: decisions a1 (approved), a2 (declined), a3 (review), a4 (expired), a5 (approved).
    expect(await auditRows(run, 'period-summary', { ...june, integration: A })).toEqual([
      {
        decisions: 5, sessions: 5, approved: 2, conclusive_decisions: 4, pending: 1, approval_rate_pct: 50,
        ine_checks: 4, ine_completed: 3, face_match_true: 2, match_rate_pct: 66.67,
        consent_checked_sessions: 4, consented: 2, coverage_pct: 50, violations: 2,
      },
    ]);
    // B: b1 declined (provider failure), b2 declined (84, false), b3 resubmission (not completed).
    expect(await auditRows(run, 'period-summary', { ...june, integration: B })).toEqual([
      {
        decisions: 3, sessions: 3, approved: 0, conclusive_decisions: 2, pending: 1, approval_rate_pct: 0,
        ine_checks: 3, ine_completed: 1, face_match_true: 0, match_rate_pct: 0,
        consent_checked_sessions: 3, consented: 2, coverage_pct: 66.67, violations: 1,
      },
    ]);
  });

  it('period-summary of an empty period has zero counts and NULL rates', async () => {
    expect(await auditRows(run, 'period-summary', { from: '2025-01-01', to: '2025-02-01', integration: A })).toEqual([
      {
        decisions: 0, sessions: 0, approved: 0, conclusive_decisions: 0, pending: 0, approval_rate_pct: null,
        ine_checks: 0, ine_completed: 0, face_match_true: 0, match_rate_pct: null,
        consent_checked_sessions: 0, consented: 0, coverage_pct: null, violations: 0,
      },
    ]);
  });
});
