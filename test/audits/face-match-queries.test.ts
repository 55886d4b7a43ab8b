import { beforeAll, describe, expect, it } from 'vitest';
import type { RunQuery } from '../../audits/runner.js';
import { auditRows, auditStore, decision, june, namespace, seed } from './support.js';

/*
 * INE checks of one integration (faceMatch, percentage; completed unless said otherwise):
 *   f1  06-03 10:00 true 89     f2  06-03 11:00 true 85      f3  06-04 10:00 false 84   f4 06-04 11:00 false 42
 *   f5  06-05 10:00 true 93     f6  06-05 11:00 true 82 (inconsistent)                   f7 06-06 10:00 false 95 (inconsistent)
 *   f8  06-06 11:00 true 90     f9  06-06 12:00 false 79     f10 06-06 13:00 false 80
 *   f11 06-07 10:00 provider failure   f12 06-07 11:00 not completed   f13 06-08 10:00 completed, faceMatch and % null
 *   f14 06-08 11:00 no INE block (not a check)   f16 06-09 10:00 true 100   f17 06-09 11:00 false 88 (inconsistent)
 *   f15 07-01 00:00 true 89: outside the period
 */
describe('face-match queries', () => {
  const ns = namespace('fm');
  const F = ns.integration();
  const s = ns.session;
  let run: RunQuery;

  const ine = (faceMatch: boolean | null, faceMatchPercentage: number | null, responseStatus: string | null = 'success') => ({ faceMatch, faceMatchPercentage, responseStatus });
  const checks: Array<[string, string, string, ReturnType<typeof ine> | null]> = [
    ['f1', '2025-06-03T10:00:00Z', 'decision-approved-ine-match', ine(true, 89)],
    ['f2', '2025-06-03T11:00:00Z', 'decision-approved-ine-match', ine(true, 85)],
    ['f3', '2025-06-04T10:00:00Z', 'decision-declined-ine-no-match', ine(false, 84)],
    ['f4', '2025-06-04T11:00:00Z', 'decision-declined-ine-no-match', ine(false, 42)],
    ['f5', '2025-06-05T10:00:00Z', 'decision-approved-ine-match', ine(true, 93)],
    ['f6', '2025-06-05T11:00:00Z', 'decision-approved-ine-match', ine(true, 82)],
    ['f7', '2025-06-06T10:00:00Z', 'decision-declined-ine-no-match', ine(false, 95)],
    ['f8', '2025-06-06T11:00:00Z', 'decision-approved-ine-match', ine(true, 90)],
    ['f9', '2025-06-06T12:00:00Z', 'decision-declined-ine-no-match', ine(false, 79)],
    ['f10', '2025-06-06T13:00:00Z', 'decision-declined-ine-no-match', ine(false, 80)],
    ['f11', '2025-06-07T10:00:00Z', 'decision-declined-ine-provider-failure', null],
    ['f12', '2025-06-07T11:00:00Z', 'decision-review-ine-not-completed', null],
    ['f13', '2025-06-08T10:00:00Z', 'decision-approved-ine-match', ine(null, null)],
    ['f14', '2025-06-08T11:00:00Z', 'decision-expired-null-fields', null],
    ['f15', '2025-07-01T00:00:00Z', 'decision-approved-ine-match', ine(true, 89)],
    ['f16', '2025-06-09T10:00:00Z', 'decision-approved-ine-match', ine(true, 100)],
    ['f17', '2025-06-09T11:00:00Z', 'decision-declined-ine-no-match', ine(false, 88)],
  ];

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    await seed(store.client, F, checks.map(([n, at, fixture, block]) => ({ kind: 'decision' as const, body: decision(fixture, s(n), at, block ? { ine: block } : {}) })));
  });

  it('face-match-summary: rate over completed checks, band, inconsistencies, failures', async () => {
    expect(await auditRows(run, 'face-match-summary', { ...june, integration: F })).toEqual([
      {
        ine_checks: 15, completed: 13, face_match_true: 6, face_match_false: 6, match_rate_pct: 46.15,
        threshold_band_80_90: 7, inconsistent: 3, not_completed: 1, provider_failures: 1,
      },
    ]);
  });

  it('face-match-summary of a period without checks: zeros and a NULL rate', async () => {
    expect(await auditRows(run, 'face-match-summary', { from: '2025-06-08T11:00:00Z', to: '2025-06-09', integration: F })).toEqual([
      { ine_checks: 0, completed: 0, face_match_true: 0, face_match_false: 0, match_rate_pct: null, threshold_band_80_90: 0, inconsistent: 0, not_completed: 0, provider_failures: 0 },
    ]);
  });

  it('face-match-daily: per UTC day, NULL rate when nothing completed', async () => {
    expect(await auditRows(run, 'face-match-daily', { ...june, integration: F })).toEqual([
      { day: '2025-06-03', ine_checks: 2, completed: 2, face_match_true: 2, match_rate_pct: 100 },
      { day: '2025-06-04', ine_checks: 2, completed: 2, face_match_true: 0, match_rate_pct: 0 },
      { day: '2025-06-05', ine_checks: 2, completed: 2, face_match_true: 2, match_rate_pct: 100 },
      { day: '2025-06-06', ine_checks: 4, completed: 4, face_match_true: 1, match_rate_pct: 25 },
      { day: '2025-06-07', ine_checks: 2, completed: 0, face_match_true: 0, match_rate_pct: null },
      { day: '2025-06-08', ine_checks: 1, completed: 1, face_match_true: 0, match_rate_pct: 0 },
      { day: '2025-06-09', ine_checks: 2, completed: 2, face_match_true: 1, match_rate_pct: 50 },
    ]);
  });

  it('face-match-distribution: ten buckets, empty ones included, 90-100 holds 100', async () => {
    const b = (from: number, checks = 0, t = 0, f = 0) => ({ bucket_from: from, bucket_to: from === 90 ? 100 : from + 9, checks, face_match_true: t, face_match_false: f });
    expect(await auditRows(run, 'face-match-distribution', { ...june, integration: F })).toEqual([
      b(0), b(10), b(20), b(30), b(40, 1, 0, 1), b(50), b(60), b(70, 1, 0, 1), b(80, 6, 3, 3), b(90, 4, 3, 1),
    ]);
  });

  it('face-match-cases: one row per check and case, in case order then time', async () => {
    const row = (case_type: string, n: string, at: string, status: string, state: string, fm: boolean | null, pct: number | null, thr: boolean | null, inc: boolean | null) => ({
      case_type, session_id: s(n), integration: F, decision_time: at, status, ine_result_state: state, ine_face_match: fm, ine_face_match_percentage: pct, ine_threshold_match: thr, ine_inconsistent: inc,
    });
    expect(await auditRows(run, 'face-match-cases', { ...june, integration: F })).toEqual([
      row('threshold_band', 'f1', '2025-06-03 10:00:00.000', 'approved', 'completed', true, 89, true, false),
      row('threshold_band', 'f2', '2025-06-03 11:00:00.000', 'approved', 'completed', true, 85, true, false),
      row('threshold_band', 'f3', '2025-06-04 10:00:00.000', 'declined', 'completed', false, 84, false, false),
      row('threshold_band', 'f6', '2025-06-05 11:00:00.000', 'approved', 'completed', true, 82, false, true),
      row('threshold_band', 'f8', '2025-06-06 11:00:00.000', 'approved', 'completed', true, 90, true, false),
      row('threshold_band', 'f10', '2025-06-06 13:00:00.000', 'declined', 'completed', false, 80, false, false),
      row('threshold_band', 'f17', '2025-06-09 11:00:00.000', 'declined', 'completed', false, 88, true, true),
      row('inconsistent', 'f6', '2025-06-05 11:00:00.000', 'approved', 'completed', true, 82, false, true),
      row('inconsistent', 'f7', '2025-06-06 10:00:00.000', 'declined', 'completed', false, 95, true, true),
      row('inconsistent', 'f17', '2025-06-09 11:00:00.000', 'declined', 'completed', false, 88, true, true),
      row('not_completed', 'f12', '2025-06-07 11:00:00.000', 'review', 'not_completed', null, null, null, null),
      row('provider_failure', 'f11', '2025-06-07 10:00:00.000', 'declined', 'provider_failure', null, null, null, null),
    ]);
  });
});
