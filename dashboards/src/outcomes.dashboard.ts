import { latestDecision } from './latest-decision.js';
import { auditDashboard, byIntegration, sql } from './dashboard.js';
import { barchart, stat, timeseries, fixedColor } from './panels.js';

/** Sessions whose latest decision is `status`, over those with a conclusive one. */
const shareOfConclusive = (status: string, alias: string) => sql`
  WITH (SELECT groupArray(status) FROM ine_audit.decision_statuses WHERE conclusive) AS conclusive
  SELECT countIf(status = '${status}') / nullIf(countIf(has(conclusive, status)), 0) AS ${alias}
  FROM (
      ${latestDecision(['argMax(status, latest_key) AS status'])}
  )
`;

/** The ten most frequent reason codes, with their labels, of sessions whose latest decision is `status`. */
const topReasons = (status: string) => sql`
  SELECT
      if(l.reason_code = 0, 'no reason code', concat(toString(l.reason_code), ' · ', if(r.label = '', 'unknown code', r.label))) AS reason,
      count() AS sessions
  FROM (
      ${latestDecision(['argMax(status, latest_key) AS status', 'argMax(ifNull(reason_code, 0), latest_key) AS reason_code'], `status = '${status}'`)}
  ) AS l
  LEFT ANY JOIN ine_audit.reason_codes AS r ON r.code = l.reason_code
  GROUP BY reason
  ORDER BY sessions DESC, reason
  LIMIT 10
`;

export const outcomesDashboard = () =>
  auditDashboard({
    uid: 'ine-audit-outcomes',
    title: 'INE audit · Verification outcomes',
    description: 'How Veriff verification sessions ended: volumes, approval and decline rates, decision codes and the reasons Veriff gave.',
    from: 'now-30d',
    refresh: '5m',
    panels: [
      stat({
        id: 1,
        title: 'Sessions decided',
        description: 'Verification sessions that received a decision. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [0, 0, 6, 5],
        unit: 'short',
        sql: sql`
          SELECT count() AS sessions
          FROM (
              ${latestDecision([])}
          )
        `,
      }),
      stat({
        id: 2,
        title: 'Approval rate',
        description: 'Approved sessions as a share of sessions with a conclusive decision (approved, declined, expired or abandoned). Sessions still in review or waiting for a resubmission are left out. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [6, 0, 6, 5],
        unit: 'percentunit',
        steps: [[null, 'red'], [0.5, 'orange'], [0.7, 'green']],
        decimals: 1,
        min: 0,
        max: 1,
        sql: shareOfConclusive('approved', 'approval_rate'),
      }),
      stat({
        id: 3,
        title: 'Decline rate',
        description: 'Declined sessions as a share of sessions with a conclusive decision. A decline means Veriff found fraud or another serious problem. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [12, 0, 6, 5],
        unit: 'percentunit',
        steps: [[null, 'green'], [0.2, 'orange'], [0.35, 'red']],
        decimals: 1,
        min: 0,
        max: 1,
        sql: shareOfConclusive('declined', 'decline_rate'),
      }),
      stat({
        id: 4,
        title: 'Sessions pending',
        description: 'Sessions whose latest decision is not final yet: sent to manual review, or waiting for the user to resubmit. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [18, 0, 6, 5],
        unit: 'short',
        sql: sql`
          WITH (SELECT groupArray(status) FROM ine_audit.decision_statuses WHERE conclusive) AS conclusive
          SELECT countIf(NOT has(conclusive, status)) AS pending
          FROM (
              ${latestDecision(['argMax(status, latest_key) AS status'])}
          )
        `,
      }),
      timeseries({
        id: 5,
        title: 'Conclusive outcomes over time',
        description: 'Share of each final outcome among the sessions decided that day: approved, declined, expired (never started) and abandoned (started, not finished). The four lines add up to 100%. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [0, 5, 12, 9],
        unit: 'percentunit',
        min: 0,
        max: 1,
        interval: '1d',
        overrides: [
          ['approved', [fixedColor('green')]],
          ['declined', [fixedColor('red')]],
          ['expired', [fixedColor('orange')]],
          ['abandoned', [fixedColor('purple')]],
        ],
        style: 'lines',
        sql: sql`
          WITH (SELECT groupArray(status) FROM ine_audit.decision_statuses WHERE conclusive) AS conclusive
          SELECT
              $__timeInterval(decided_at) AS time,
              countIf(status = 'approved') / countIf(has(conclusive, status)) AS approved,
              countIf(status = 'declined') / countIf(has(conclusive, status)) AS declined,
              countIf(status = 'expired') / countIf(has(conclusive, status)) AS expired,
              countIf(status = 'abandoned') / countIf(has(conclusive, status)) AS abandoned
          FROM (
              ${latestDecision(['argMax(status, latest_key) AS status'])}
          )
          GROUP BY time
          HAVING countIf(has(conclusive, status)) > 0
          ORDER BY time
        `,
      }),
      timeseries({
        id: 6,
        title: 'Resubmission and review rates over time',
        description: 'Share of the sessions decided that day whose latest decision asks the user to resubmit, or sent the session to manual review. These are not final outcomes, so they are measured against all sessions decided, not only conclusive ones. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [12, 5, 12, 9],
        unit: 'percentunit',
        min: 0,
        max: 1,
        interval: '1d',
        style: 'lines',
        sql: sql`
          SELECT
              $__timeInterval(decided_at) AS time,
              countIf(status = 'resubmission_requested') / count() AS resubmission_requested,
              countIf(status = 'review') / count() AS review
          FROM (
              ${latestDecision(['argMax(status, latest_key) AS status'])}
          )
          GROUP BY time
          ORDER BY time
        `,
      }),
      barchart({
        id: 7,
        title: 'Decision code mix',
        description: 'Sessions by the Veriff decision code of their latest decision, with its meaning (9001 approved, 9102 declined, 9103 resubmission requested, 9104 expired or abandoned, 9121 review). Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [0, 14, 8, 9],
        unit: 'short',
        style: 'top',
        sql: sql`
          SELECT
              concat(toString(l.code), ' · ', if(c.label = '', 'unknown code', c.label)) AS decision_code,
              count() AS sessions
          FROM (
              ${latestDecision(['argMax(code, latest_key) AS code'])}
          ) AS l
          LEFT ANY JOIN ine_audit.status_codes AS c ON c.code = l.code
          GROUP BY decision_code
          ORDER BY sessions DESC, decision_code
        `,
      }),
      barchart({
        id: 8,
        title: 'Top decline reasons',
        description: 'The ten most frequent reasons Veriff gave for declined sessions: reason code and its meaning. "no reason code" means Veriff sent none. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [8, 14, 8, 9],
        unit: 'short',
        style: 'top',
        sql: topReasons('declined'),
      }),
      barchart({
        id: 9,
        title: 'Top resubmission reasons',
        description: 'The ten most frequent reasons Veriff asked users to resubmit (for example a blurry photo): reason code and its meaning. Each verification session counts once, by its latest decision (as in ine_audit.decisions_latest), and only when that latest decision falls in the selected time range.',
        at: [16, 14, 8, 9],
        unit: 'short',
        style: 'top',
        sql: topReasons('resubmission_requested'),
      }),
    ],
  });
