import * as common from '@grafana/grafana-foundation-sdk/common';
import { auditDashboard, byIntegration, sql } from './dashboard.js';
import { barchart, stat, table, timeseries, fixedColor, unit } from './panels.js';

export const pipelineDashboard = () =>
  auditDashboard({
    uid: 'ine-audit-pipeline',
    title: 'INE audit · Pipeline health',
    description: 'Whether Veriff webhooks and consent records reach the audit store: what arrived, what was refused, what could not be processed, and how late decisions arrive.',
    from: 'now-24h',
    refresh: '1m',
    panels: [
      timeseries({
        id: 1,
        title: 'Payloads accepted per endpoint',
        description: 'Distinct payloads accepted per endpoint (Kafka redeliveries counted once). "imports and replays" are payloads loaded by npm run import or npm run replay rather than received over HTTP.',
        at: [0, 0, 12, 8],
        unit: 'short',
        style: 'bars',
        sql: sql`
          SELECT
              $__timeInterval(received_at) AS time,
              uniqExactIf(delivery_id, source = 'webhook' AND kind = 'decision') AS \`POST /webhooks/veriff/decision\`,
              uniqExactIf(delivery_id, source = 'webhook' AND kind = 'event') AS \`POST /webhooks/veriff/event\`,
              uniqExactIf(delivery_id, source = 'webhook' AND kind = 'consent') AS \`POST /consents\`,
              uniqExactIf(delivery_id, source != 'webhook') AS \`imports and replays\`
          FROM ine_audit.deliveries
          WHERE $__timeFilter_ms(received_at) AND ${byIntegration}
          GROUP BY time
          ORDER BY time
        `,
      }),
      timeseries({
        id: 2,
        title: 'Rejected requests over time',
        description: 'Requests the ingest refused (bad signature, unknown client, invalid body, too large, rate limited). Veriff re-sends a refused webhook for up to 7 days, so one bad payload can show up many times. With a single integration selected, requests whose integration could not be identified are not shown. The alert "Rejected requests spiking" watches this.',
        at: [12, 0, 12, 8],
        unit: 'short',
        overrides: [
          ['rejected_requests', [fixedColor('red')]],
        ],
        style: 'bars',
        sql: sql`
          SELECT
              $__timeInterval(at) AS time,
              uniqExact(rejection_id) AS rejected_requests
          FROM ine_audit.rejection_log
          WHERE $__timeFilter_ms(at) AND ${byIntegration}
          GROUP BY time
          ORDER BY time
        `,
      }),
      barchart({
        id: 3,
        title: 'Rejected requests by reason',
        description: "Why requests were refused, with the HTTP status returned. \"distinct payloads\" counts different bodies; \"requests\" counts every attempt including Veriff's re-sends.",
        at: [0, 8, 12, 8],
        unit: 'short',
        style: 'top',
        sql: sql`
          SELECT
              concat(reason, ' · HTTP ', toString(status)) AS reason,
              uniqExact(endpoint, body_sha256) AS distinct_payloads,
              uniqExact(rejection_id) AS requests
          FROM ine_audit.rejection_log
          WHERE $__timeFilter_ms(at) AND ${byIntegration}
          GROUP BY reason
          ORDER BY requests DESC, reason
        `,
      }),
      stat({
        id: 4,
        title: 'Dead letters',
        description: 'Messages the processor could not handle, kept with their error for replay (npm run replay). Should be 0; dead letters are not tied to an integration, so the integration filter does not apply.',
        at: [12, 8, 6, 4],
        unit: 'short',
        steps: [[null, 'green'], [1, 'red']],
        sql: sql`
          SELECT uniqExact(topic, \`partition\`, \`offset\`) AS dead_letters
          FROM ine_audit.dead_letters
          WHERE $__timeFilter_ms(at)
        `,
      }),
      stat({
        id: 5,
        title: 'Median delay, decision to ClickHouse',
        description: "Half of the decisions made in the range reached ClickHouse within this time: from Veriff's decisionTime to the first time the decision was stored (inserted_at). Includes Veriff's send delay and our pipeline. Decisions without a decisionTime are left out.",
        at: [18, 8, 6, 4],
        unit: 's',
        steps: [[null, 'green'], [60, 'orange'], [600, 'red']],
        decimals: 1,
        sql: sql`
          SELECT quantile(0.5)(delay_s) AS median_delay
          FROM
          (
              SELECT (toUnixTimestamp64Milli(min(inserted_at)) - toUnixTimestamp64Milli(any(decision_time))) / 1000 AS delay_s
              FROM ine_audit.decision_facts
              WHERE $__timeFilter_ms(decision_time) AND NOT decision_time_missing AND ${byIntegration}
              GROUP BY decision_key
          )
        `,
      }),
      table({
        id: 6,
        title: 'Latest dead letters',
        description: 'The most recent dead letters (at most 100): where they came from and why processing failed. The message itself is not shown here.',
        at: [12, 12, 12, 4],
        unit: 'short',
        overrides: [
          ['at_utc', [unit('dateTimeAsIso')]],
        ],
        sql: sql`
          SELECT
              max(at) AS at_utc,
              topic,
              \`partition\`,
              \`offset\`,
              any(error) AS error
          FROM ine_audit.dead_letters
          WHERE $__timeFilter_ms(at)
          GROUP BY topic, \`partition\`, \`offset\`
          ORDER BY at_utc DESC
          LIMIT 100
        `,
      }),
      timeseries({
        id: 7,
        title: 'Delay from Veriff decision to ClickHouse',
        description: "For decisions made in each interval: how long until each was first stored in ClickHouse (inserted_at minus Veriff's decisionTime), as the median, the 95th percentile and the slowest. Veriff's retries after a failed delivery show up as long delays. Decisions without a decisionTime are left out.",
        at: [0, 16, 24, 8],
        unit: 's',
        steps: [[null, 'green'], [600, 'red']],
        style: 'lines',
        thresholdsStyle: common.GraphThresholdsStyleMode.Dashed,
        sql: sql`
          SELECT
              $__timeInterval(decided_at) AS time,
              quantile(0.5)(delay_s) AS p50,
              quantile(0.95)(delay_s) AS p95,
              max(delay_s) AS slowest
          FROM
          (
              SELECT
                  any(decision_time) AS decided_at,
                  (toUnixTimestamp64Milli(min(inserted_at)) - toUnixTimestamp64Milli(decided_at)) / 1000 AS delay_s
              FROM ine_audit.decision_facts
              WHERE $__timeFilter_ms(decision_time) AND NOT decision_time_missing AND ${byIntegration}
              GROUP BY decision_key
          )
          GROUP BY time
          ORDER BY time
        `,
      }),
      barchart({
        id: 8,
        title: 'SQL door queries by user and outcome',
        description: "Queries through the embedded store's SQL door (analysts, Grafana, the operator) in the time range, by user and outcome: ok, denied (a grant or statement refused), error, auth_failed, cancelled. Who read which tables is in ine_audit.sql_access_log, which only the operator reads.",
        at: [0, 24, 24, 8],
        unit: 'short',
        style: 'grouped',
        xField: 'user',
        sql: sql`
          SELECT
              user,
              sumIf(queries, outcome = 'ok') AS ok,
              sumIf(queries, outcome = 'denied') AS denied,
              sumIf(queries, outcome = 'error') AS error,
              sumIf(queries, outcome = 'auth_failed') AS auth_failed,
              sumIf(queries, outcome = 'cancelled') AS cancelled
          FROM ine_audit.sql_access_counts
          WHERE hour >= toStartOfHour($__fromTime) AND hour <= $__toTime
          GROUP BY user
          ORDER BY user
        `,
      }),
    ],
  });
