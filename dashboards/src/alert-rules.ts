import { QueryBuilder, RuleBuilder, type Rule } from '@grafana/grafana-foundation-sdk/alerting';
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import {
  FACE_MATCH_ALERT_MIN_CHECKS,
  FACE_MATCH_ALERT_RATE,
  PROVIDER_FAILURE_ALERT_MIN_CHECKS,
  PROVIDER_FAILURE_ALERT_RATE,
  REJECTION_ALERT_COUNT,
} from '../../schemas/thresholds.js';
import { ClickHouseQueryBuilder } from './clickhouse-query.js';
import { sql } from './dashboard.js';
import { latestDecision } from './latest-decision.js';
import { clickhouse } from './datasource.js';

/**
 * The four alert rules, one rule group each (the notification policy routes by group). Each carries its
 * level in the threshold expression and, for the message templates, in the `threshold` annotation.
 */

export const ALERT_FOLDER = 'INE audit';
export const TEAM_LABEL = { team: 'compliance' } as const;

type Evaluator = 'gt' | 'lt';

interface RuleSpec {
  uid: string;
  title: string;
  group: string;
  windowS: number;
  sql: string;
  evaluator: Evaluator;
  level: number;
  /** The level as officers read it, for the messages. */
  levelText: string;
  dashboardUid: string;
  panelId: number;
  for: string;
  severity: 'critical' | 'warning';
  summary: string;
  description: string;
}

/** Grafana's threshold expression; the SDK's builder has no setter for the condition itself. */
const threshold = (evaluator: Evaluator, level: number): Builder<Dataquery> => ({
  build: () => ({
    ...new TypeThresholdBuilder().refId('B').expression('A').datasource({ type: '__expr__', uid: '__expr__' }).build(),
    conditions: [{ evaluator: { type: evaluator, params: [level] } }],
  }),
});

export interface AlertRule {
  group: string;
  rule: Rule;
  dashboardUid: string;
  panelId: number;
}

function alertRule(spec: RuleSpec): AlertRule {
  const query = new ClickHouseQueryBuilder(spec.sql, 'table');
  const model: Builder<Dataquery> = { build: () => ({ ...query.build(), intervalMs: 60_000, maxDataPoints: 43_200 }) };
  const rule = new RuleBuilder(spec.title)
    .uid(spec.uid)
    .condition('B')
    .withQuery(new QueryBuilder('A').relativeTimeRange({ from: spec.windowS, to: 0 }).datasourceUid(clickhouse.uid).model(model))
    .withQuery(new QueryBuilder('B').datasourceUid('__expr__').model(threshold(spec.evaluator, spec.level)))
    .noDataState('OK')
    .execErrState('Error')
    .forDuration(spec.for)
    .annotations({ summary: spec.summary, description: spec.description, threshold: spec.levelText })
    .labels({ ...TEAM_LABEL, severity: spec.severity, rule_group: spec.group })
    .isPaused(false)
    .ruleGroup(spec.group)
    .build();
  return { group: spec.group, rule, dashboardUid: spec.dashboardUid, panelId: spec.panelId };
}

/** Alerts run without dashboard variables: every integration. */
const latestChecks = (...columns: string[]) => latestDecision(['argMax(ine_check_performed, latest_key) AS checked', ...columns], 'checked', null);

export const alertRules = (): AlertRule[] => [
  alertRule({
    uid: 'ine-audit-consent-violation',
    title: 'INE check without approved consent',
    group: 'ine-audit-consent',
    windowS: 3600,
    sql: sql`
      SELECT countIf(violation != 'none') AS violations
      FROM ine_audit.consent_verdicts
      WHERE $__timeFilter_ms(ine_checked_at)
    `,
    evaluator: 'gt',
    level: 0,
    levelText: 'any violating session',
    dashboardUid: 'ine-audit-consent',
    panelId: 3,
    for: '5m',
    severity: 'critical',
    summary: 'An INE biometric check ran without an approved INE consent before it.',
    description:
      'Sessions checked in the last hour without an approved consent: {{ $values.A.Value }}. Open the Consent compliance dashboard, table "Sessions to investigate". The 5 minute wait lets a consent record that is still in flight arrive.',
  }),
  alertRule({
    uid: 'ine-audit-face-match-rate-low',
    title: 'INE face-match rate low',
    group: 'ine-audit-face-match',
    windowS: 3600,
    sql: sql`
      SELECT countIf(state = 'completed' AND face_match = 1) / countIf(state = 'completed') AS face_match_rate
      FROM (
          ${latestChecks('argMax(ine_result_state, latest_key) AS state', 'argMax(ifNull(toInt8(ine_face_match), -1), latest_key) AS face_match')}
      )
      HAVING countIf(state = 'completed') >= ${String(FACE_MATCH_ALERT_MIN_CHECKS)}
    `,
    evaluator: 'lt',
    level: FACE_MATCH_ALERT_RATE,
    levelText: `below ${FACE_MATCH_ALERT_RATE}, over at least ${FACE_MATCH_ALERT_MIN_CHECKS} completed checks`,
    dashboardUid: 'ine-audit-face-match',
    panelId: 2,
    for: '15m',
    severity: 'warning',
    summary: 'Fewer INE checks than usual find a face match.',
    description: `Face-match rate over the last hour: {{ $values.A.Value }} (alert level: below ${FACE_MATCH_ALERT_RATE}, over at least ${FACE_MATCH_ALERT_MIN_CHECKS} completed checks). See the INE face match dashboard.`,
  }),
  alertRule({
    uid: 'ine-audit-provider-failures',
    title: 'INE provider failures spiking',
    group: 'ine-audit-provider',
    windowS: 900,
    sql: sql`
      SELECT countIf(state = 'provider_failure') / count() AS provider_failure_rate
      FROM (
          ${latestChecks('argMax(ine_result_state, latest_key) AS state')}
      )
      HAVING count() >= ${String(PROVIDER_FAILURE_ALERT_MIN_CHECKS)}
    `,
    evaluator: 'gt',
    level: PROVIDER_FAILURE_ALERT_RATE,
    levelText: `above ${PROVIDER_FAILURE_ALERT_RATE}, over at least ${PROVIDER_FAILURE_ALERT_MIN_CHECKS} checks`,
    dashboardUid: 'ine-audit-face-match',
    panelId: 7,
    for: '5m',
    severity: 'warning',
    summary: 'The INE provider is failing many checks (responseStatus = failure).',
    description: `Share of INE checks in the last 15 minutes that failed at the provider: {{ $values.A.Value }} (alert level: above ${PROVIDER_FAILURE_ALERT_RATE}, over at least ${PROVIDER_FAILURE_ALERT_MIN_CHECKS} checks).`,
  }),
  alertRule({
    uid: 'ine-audit-rejections-spiking',
    title: 'Rejected requests spiking',
    group: 'ine-audit-pipeline',
    windowS: 900,
    sql: sql`
      SELECT uniqExact(rejection_id) AS rejected_requests
      FROM ine_audit.rejection_log
      WHERE $__timeFilter_ms(at)
    `,
    evaluator: 'gt',
    level: REJECTION_ALERT_COUNT,
    levelText: `above ${REJECTION_ALERT_COUNT} refused requests`,
    dashboardUid: 'ine-audit-pipeline',
    panelId: 2,
    for: '5m',
    severity: 'warning',
    summary: 'The ingest is refusing many requests.',
    description: `Requests refused in the last 15 minutes: {{ $values.A.Value }} (alert level: above ${REJECTION_ALERT_COUNT}). See the Pipeline health dashboard, "Rejected requests by reason".`,
  }),
];
