import { beforeAll, describe, expect, it } from 'vitest';
import type { RunQuery } from '../../audits/runner.js';
import { auditRows, auditStore, decision, june, namespace, seed } from './support.js';

/*
 * Decision outcomes of one integration, June 2025 (UTC days):
 *   06-03 c1 approved (delivered twice: one decision)
 *   06-04 c2 approved at 2025-06-03T20:00:00-06:00 (a 06-04 UTC decision), c3 + c3b declined (same session, two attempts)
 *   06-05 c6 review · 06-06 c4 declined (provider failure) · 06-07 c5 resubmission_requested
 *   06-08 c12 resubmission_requested, 06-09 c12 approved (same session)
 *   06-15 c7 expired · 06-16 c8 abandoned · 06-20 c9 status 'on_hold' code 9999 reason code 777 (unknown everywhere)
 *   07-01 c14 approved: outside the period
 */
describe('decision outcome queries', () => {
  const ns = namespace('dec');
  const C = ns.integration();
  const s = ns.session;
  let run: RunQuery;

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    const c1 = decision('decision-approved-ine-match', s(1), '2025-06-03T15:10:40Z');
    await seed(store.client, C, [
      { kind: 'decision', body: c1, receivedAt: '2025-06-03T15:10:41Z' },
      { kind: 'decision', body: c1, receivedAt: '2025-06-03T15:20:00Z' },
      { kind: 'decision', body: decision('decision-approved-ine-boundary-85', s(2), '2025-06-03T20:00:00-06:00') },
      { kind: 'decision', body: decision('decision-declined-ine-no-match', s(3), '2025-06-04T09:31:02.5Z', { attemptId: 'first' }) },
      { kind: 'decision', body: decision('decision-declined-ine-no-match', s(3), '2025-06-04T12:00:00Z', { attemptId: 'second' }) },
      { kind: 'decision', body: decision('decision-declined-ine-provider-failure', s(4), '2025-06-06T17:45:12.25Z') },
      { kind: 'decision', body: decision('decision-resubmission-requested-poor-image', s(5), '2025-06-07T08:15:33Z') },
      { kind: 'decision', body: decision('decision-review-ine-not-completed', s(6), '2025-06-05T11:00:00Z') },
      { kind: 'decision', body: decision('decision-expired-null-fields', s(7), '2025-06-15T00:00:04Z') },
      { kind: 'decision', body: decision('decision-abandoned-null-fields', s(8), '2025-06-16T12:00:07Z') },
      {
        kind: 'decision',
        body: decision('decision-expired-null-fields', s(9), '2025-06-20T10:00:00Z', {
          mutate: (d) => Object.assign(d.verification, { status: 'on_hold', code: 9999, reasonCode: 777, reason: 'Something new' }),
        }),
      },
      { kind: 'decision', body: decision('decision-resubmission-requested-poor-image', s(12), '2025-06-08T09:00:00Z', { attemptId: 'a1' }) },
      { kind: 'decision', body: decision('decision-approved-ine-match', s(12), '2025-06-09T09:00:00Z', { attemptId: 'a2' }) },
      { kind: 'decision', body: decision('decision-approved-ine-match', s(14), '2025-07-01T00:00:00Z') },
    ]);
  });

  it('decisions-by-status groups by status, code and reason with dimension labels', async () => {
    const none = { reason_code: null, reason_label: null, reason: null };
    expect(await auditRows(run, 'decisions-by-status', { ...june, integration: C })).toEqual([
      { status: 'abandoned', status_label: 'Abandoned (started, not finished)', conclusive: true, code: 9104, code_label: 'Expired or abandoned', ...none, decisions: 1, sessions: 1 },
      { status: 'approved', status_label: 'Approved', conclusive: true, code: 9001, code_label: 'Approved', ...none, decisions: 3, sessions: 3 },
      {
        status: 'declined', status_label: 'Declined', conclusive: true, code: 9102, code_label: 'Declined',
        reason_code: 123, reason_label: 'Registry checks not passed', reason: 'Unable to pass registry checks', decisions: 3, sessions: 2,
      },
      { status: 'expired', status_label: 'Expired (never started)', conclusive: true, code: 9104, code_label: 'Expired or abandoned', ...none, decisions: 1, sessions: 1 },
      { status: 'on_hold', status_label: 'unknown', conclusive: false, code: 9999, code_label: 'unknown', reason_code: 777, reason_label: 'unknown', reason: 'Something new', decisions: 1, sessions: 1 },
      {
        status: 'resubmission_requested', status_label: 'Resubmission requested', conclusive: false, code: 9103, code_label: 'Resubmission requested',
        reason_code: 204, reason_label: 'Poor image quality', reason: 'Poor image quality', decisions: 2, sessions: 2,
      },
      { status: 'review', status_label: 'Sent to manual review', conclusive: false, code: 9121, code_label: 'Review', ...none, decisions: 1, sessions: 1 },
    ]);
  });

  it('decisions-by-status of a single day', async () => {
    expect(await auditRows(run, 'decisions-by-status', { from: '2025-06-04', to: '2025-06-05', integration: C })).toEqual([
      { status: 'approved', status_label: 'Approved', conclusive: true, code: 9001, code_label: 'Approved', reason_code: null, reason_label: null, reason: null, decisions: 1, sessions: 1 },
      {
        status: 'declined', status_label: 'Declined', conclusive: true, code: 9102, code_label: 'Declined',
        reason_code: 123, reason_label: 'Registry checks not passed', reason: 'Unable to pass registry checks', decisions: 2, sessions: 1,
      },
    ]);
  });

  it('approval-rate-daily: approved over conclusive per UTC day, pending left out', async () => {
    const day = (d: string, o: Partial<Record<string, number | null>>) => ({
      day: d, decisions: 0, approved: 0, declined: 0, expired: 0, abandoned: 0, pending: 0, conclusive_decisions: 0, approval_rate_pct: null, ...o,
    });
    expect(await auditRows(run, 'approval-rate-daily', { ...june, integration: C })).toEqual([
      day('2025-06-03', { decisions: 1, approved: 1, conclusive_decisions: 1, approval_rate_pct: 100 }),
      day('2025-06-04', { decisions: 3, approved: 1, declined: 2, conclusive_decisions: 3, approval_rate_pct: 33.33 }),
      day('2025-06-05', { decisions: 1, pending: 1 }),
      day('2025-06-06', { decisions: 1, declined: 1, conclusive_decisions: 1, approval_rate_pct: 0 }),
      day('2025-06-07', { decisions: 1, pending: 1 }),
      day('2025-06-08', { decisions: 1, pending: 1 }),
      day('2025-06-09', { decisions: 1, approved: 1, conclusive_decisions: 1, approval_rate_pct: 100 }),
      day('2025-06-15', { decisions: 1, expired: 1, conclusive_decisions: 1, approval_rate_pct: 0 }),
      day('2025-06-16', { decisions: 1, abandoned: 1, conclusive_decisions: 1, approval_rate_pct: 0 }),
      day('2025-06-20', { decisions: 1 }),
    ]);
  });

  it('period-summary approval rate equals the daily counts summed', async () => {
    const [summary] = await auditRows(run, 'period-summary', { ...june, integration: C });
    // 3 approved over 8 conclusive (3 approved, 3 declined, 1 expired, 1 abandoned).
    expect(summary).toMatchObject({ decisions: 12, sessions: 10, approved: 3, conclusive_decisions: 8, pending: 3, approval_rate_pct: 37.5 });
  });
});
