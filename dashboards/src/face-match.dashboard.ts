import * as common from '@grafana/grafana-foundation-sdk/common';
import { FACE_MATCH_ALERT_RATE, INE_MATCH_THRESHOLD, percent } from '../../schemas/thresholds.js';
import { latestDecision } from './latest-decision.js';
import { auditDashboard, byIntegration, sql } from './dashboard.js';
import { barchart, stat, table, timeseries, fixedColor, displayName, unit } from './panels.js';
import { sessionIdLinks } from './session.dashboard.js';

const M = String(INE_MATCH_THRESHOLD);
const state = 'argMax(ine_result_state, latest_key) AS state';
const faceMatch = 'argMax(ifNull(toInt8(ine_face_match), -1), latest_key) AS face_match';
/** Sessions whose latest decision carried the INE check, with these columns of it. */
const latestCheck = (columns: string[]) => latestDecision(['argMax(ine_check_performed, latest_key) AS checked', ...columns], 'checked');

export const faceMatchDashboard = () =>
  auditDashboard({
    uid: 'ine-audit-face-match',
    title: 'INE audit · INE face match',
    description: "Results of the INE (Mexico's electoral registry) biometric check: how many checks ran, how often the selfie matched the registry photo, and where the check failed or gave contradictory answers.",
    from: 'now-30d',
    refresh: '5m',
    panels: [
      stat({
        id: 1,
        title: 'INE checks performed',
        description: 'Sessions whose latest decision carried an INE biometric registry check, whatever its result. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.',
        at: [0, 0, 6, 5],
        unit: 'short',
        sql: sql`
          SELECT count() AS checks
          FROM (
              ${latestCheck([])}
          )
        `,
      }),
      stat({
        id: 2,
        title: 'Face-match rate',
        description: `Checks where INE reported a face match (faceMatch = true), as a share of the checks INE completed (responseStatus = success). Checks that could not complete are left out; see "Checks that could not complete". The alert "INE face-match rate low" fires below ${percent(FACE_MATCH_ALERT_RATE)}. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.`,
        at: [6, 0, 6, 5],
        unit: 'percentunit',
        steps: [[null, 'red'], [FACE_MATCH_ALERT_RATE, 'green']],
        decimals: 1,
        min: 0,
        max: 1,
        sql: sql`
          SELECT countIf(state = 'completed' AND face_match = 1) / nullIf(countIf(state = 'completed'), 0) AS face_match_rate
          FROM (
              ${latestCheck([state, faceMatch])}
          )
        `,
      }),
      stat({
        id: 3,
        title: 'Checks that could not complete',
        description: 'Share of INE checks without a result: the provider reported a failure (responseStatus = failure) or gave no status at all. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.',
        at: [12, 0, 6, 5],
        unit: 'percentunit',
        steps: [[null, 'green'], [0.05, 'orange'], [0.1, 'red']],
        decimals: 1,
        min: 0,
        max: 1,
        sql: sql`
          SELECT countIf(state IN ('provider_failure', 'not_completed')) / count() AS incomplete_share
          FROM (
              ${latestCheck([state])}
          )
        `,
      }),
      stat({
        id: 4,
        title: 'Inconsistent answers',
        description: `Completed checks where INE's yes/no answer (faceMatch) contradicts its own score: a match below ${M}%, or no match at ${M}% or more. Each one deserves a look; see the table below. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.`,
        at: [18, 0, 6, 5],
        unit: 'short',
        steps: [[null, 'green'], [1, 'red']],
        sql: sql`
          SELECT countIf(inconsistent = 1) AS inconsistent
          FROM (
              ${latestCheck(['argMax(ifNull(toInt8(ine_inconsistent), -1), latest_key) AS inconsistent'])}
          )
        `,
      }),
      timeseries({
        id: 5,
        title: 'Face-match rate over time',
        description: `Daily face-match rate: faceMatch = true over checks INE completed. The red/green boundary is the ${percent(FACE_MATCH_ALERT_RATE)} alert level. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.`,
        at: [0, 5, 12, 9],
        unit: 'percentunit',
        steps: [[null, 'red'], [FACE_MATCH_ALERT_RATE, 'green']],
        min: 0,
        max: 1,
        interval: '1d',
        style: 'lines',
        thresholdsStyle: common.GraphThresholdsStyleMode.LineAndArea,
        sql: sql`
          SELECT
              $__timeInterval(decided_at) AS time,
              countIf(state = 'completed' AND face_match = 1) / countIf(state = 'completed') AS face_match_rate
          FROM (
              ${latestCheck([state, faceMatch])}
          )
          GROUP BY time
          HAVING countIf(state = 'completed') > 0
          ORDER BY time
        `,
      }),
      barchart({
        id: 6,
        title: `faceMatchPercentage distribution (threshold ${M})`,
        description: `How similar INE found the selfie and the registry photo, in bands of 5 points, for completed checks. ${M} is INE's match threshold: bands below it are red, bands at or above it are green. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.`,
        at: [12, 5, 12, 9],
        unit: 'short',
        overrides: [
          [`below_${M}`, [displayName(`Below ${M}: no match by threshold`), fixedColor('red')]],
          [`at_or_above_${M}`, [displayName(`${M} or more: match by threshold`), fixedColor('green')]],
        ],
        style: 'distribution',
        sql: sql`
          SELECT
              concat(toString(band), '–', toString(if(band = 95, 100, band + 4))) AS percentage_band,
              below_${M},
              at_or_above_${M}
          FROM
          (
              SELECT
                  intDiv(least(percentage, 99), 5) * 5 AS band,
                  countIf(percentage < ${M}) AS below_${M},
                  countIf(percentage >= ${M}) AS at_or_above_${M}
              FROM (
                  ${latestCheck([state, 'argMax(ifNull(toInt16(ine_face_match_percentage), -1), latest_key) AS percentage'])}
              )
              WHERE state = 'completed' AND percentage >= 0
              GROUP BY band
              ORDER BY band WITH FILL FROM 0 TO 100 STEP 5
          )
        `,
      }),
      timeseries({
        id: 7,
        title: 'Provider failures and incomplete checks',
        description: 'INE checks per day that gave no result: provider_failure means INE answered responseStatus = failure; not_completed means no status came back. Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.',
        at: [0, 14, 12, 9],
        unit: 'short',
        interval: '1d',
        overrides: [
          ['provider_failure', [fixedColor('red')]],
          ['not_completed', [fixedColor('orange')]],
        ],
        style: 'bars',
        sql: sql`
          SELECT
              $__timeInterval(decided_at) AS time,
              countIf(state = 'provider_failure') AS provider_failure,
              countIf(state = 'not_completed') AS not_completed
          FROM (
              ${latestCheck([state])}
          )
          GROUP BY time
          ORDER BY time
        `,
      }),
      table({
        id: 8,
        title: 'Inconsistent answers to investigate',
        description: `Sessions whose completed INE check says faceMatch = true below ${M}%, or false at ${M}% or more (newest first, at most 500). Counts each session once, by its latest decision, when that decision carried the INE biometric check and falls in the selected time range.`,
        at: [12, 14, 12, 9],
        unit: 'short',
        overrides: [
          sessionIdLinks,
          ['decided_at_utc', [unit('dateTimeAsIso')]],
          ['face_match_percentage', [unit('none')]],
        ],
        sql: sql`
          SELECT
              session_id,
              decided_at AS decided_at_utc,
              latest_integration AS integration,
              if(face_match = 1, 'true', 'false') AS face_match,
              percentage AS face_match_percentage
          FROM (
              ${latestCheck(['any(session_id) AS session_id', 'argMax(integration, latest_key) AS latest_integration', faceMatch, 'argMax(ifNull(toInt16(ine_face_match_percentage), -1), latest_key) AS percentage', 'argMax(ifNull(toInt8(ine_inconsistent), -1), latest_key) AS inconsistent'])}
          )
          WHERE inconsistent = 1
          ORDER BY decided_at DESC
          LIMIT 500
        `,
      }),
    ],
  });
