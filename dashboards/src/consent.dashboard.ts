import { auditDashboard, byIntegration, sql } from './dashboard.js';
import { stat, table, timeseries, fixedColor, unit } from './panels.js';
import { sessionIdLinks } from './session.dashboard.js';

export const consentDashboard = () =>
  auditDashboard({
    uid: 'ine-audit-consent',
    title: 'INE audit · Consent compliance',
    description: 'Whether the user had approved the INE consent before the INE biometric check ran, and which sessions to investigate when not.',
    from: 'now-30d',
    refresh: '5m',
    panels: [
      stat({
        id: 1,
        title: 'Checks with approved consent before the check',
        description: 'Share of INE checks for which the user had approved the INE consent at or before the check. Anything below 100% is a compliance issue. A session counts in the range of its first INE check. The consent that counts is the latest "ine" consent record given at or before that check (a refusal wins a tie), as in ine_audit.consent_audit.',
        at: [0, 0, 8, 5],
        unit: 'percentunit',
        steps: [[null, 'red'], [1, 'green']],
        decimals: 2,
        min: 0,
        max: 1,
        sql: sql`
          SELECT countIf(violation = 'none') / nullIf(count(), 0) AS compliant_share
          FROM ine_audit.consent_verdicts
          WHERE $__timeFilter_ms(ine_checked_at) AND ${byIntegration}
        `,
      }),
      stat({
        id: 2,
        title: 'INE checks',
        description: 'Sessions whose first INE check falls in the selected range. A session counts in the range of its first INE check. The consent that counts is the latest "ine" consent record given at or before that check (a refusal wins a tie), as in ine_audit.consent_audit.',
        at: [8, 0, 8, 5],
        unit: 'short',
        sql: sql`
          SELECT count() AS checks
          FROM ine_audit.consent_verdicts
          WHERE $__timeFilter_ms(ine_checked_at) AND ${byIntegration}
        `,
      }),
      stat({
        id: 3,
        title: 'Consent violations',
        description: 'INE checks without an approved consent before them: consent refused, consent given only after the check, or no consent record at all. The alert "INE check without approved consent" fires on any. A session counts in the range of its first INE check. The consent that counts is the latest "ine" consent record given at or before that check (a refusal wins a tie), as in ine_audit.consent_audit.',
        at: [16, 0, 8, 5],
        unit: 'short',
        steps: [[null, 'green'], [1, 'red']],
        sql: sql`
          SELECT countIf(violation != 'none') AS violations
          FROM ine_audit.consent_verdicts
          WHERE $__timeFilter_ms(ine_checked_at) AND ${byIntegration}
        `,
      }),
      timeseries({
        id: 4,
        title: 'Violations by kind over time',
        description: 'INE checks per day by kind of violation. refused: the latest consent before the check was a refusal. consent_after_check: consent was only given after the check. no_consent: no INE consent record at all. A session counts in the range of its first INE check. The consent that counts is the latest "ine" consent record given at or before that check (a refusal wins a tie), as in ine_audit.consent_audit.',
        at: [0, 5, 24, 8],
        unit: 'short',
        interval: '1d',
        overrides: [
          ['refused', [fixedColor('red')]],
          ['consent_after_check', [fixedColor('orange')]],
          ['no_consent', [fixedColor('purple')]],
        ],
        style: 'bars',
        sql: sql`
          SELECT
              $__timeInterval(ine_checked_at) AS time,
              countIf(violation = 'refused') AS refused,
              countIf(violation = 'after_check') AS consent_after_check,
              countIf(violation = 'missing') AS no_consent
          FROM ine_audit.consent_verdicts
          WHERE $__timeFilter_ms(ine_checked_at) AND ${byIntegration}
          GROUP BY time
          ORDER BY time
        `,
      }),
      table({
        id: 5,
        title: 'Sessions to investigate',
        description: 'Every INE check in the range without an approved consent before it, newest first (at most 1,000). consent_given_at is the consent that decided the verdict: the latest one at or before the check, or the first one after it. A session counts in the range of its first INE check. The consent that counts is the latest "ine" consent record given at or before that check (a refusal wins a tie), as in ine_audit.consent_audit.',
        at: [0, 13, 24, 10],
        unit: 'short',
        overrides: [
          sessionIdLinks,
          ['ine_checked_at_utc', [unit('dateTimeAsIso')]],
          ['consent_given_at_utc', [unit('dateTimeAsIso')]],
        ],
        sql: sql`
          SELECT
              session_id,
              ine_checked_at AS ine_checked_at_utc,
              violation,
              integration,
              consent_given_at AS consent_given_at_utc
          FROM ine_audit.consent_verdicts
          WHERE $__timeFilter_ms(ine_checked_at) AND ${byIntegration} AND violation != 'none'
          ORDER BY ine_checked_at DESC, session_id
          LIMIT 1000
        `,
      }),
    ],
  });
