import { byIntegration, sql } from './dashboard.js';

/**
 * Per session, columns of its latest decision: decision_facts rows from the start of the range, the
 * session kept when its latest decision (max decision_time; `latest_key` orders the rows, so
 * argMax(x, latest_key) is that decision's x) falls in the range: the decisions_latest rule, on the
 * pre-aggregate. The shape test/dashboards/panels.ts (baselineSql) rewrites to the views.
 */
export function latestDecision(columns: string[], having = '', filter: string | null = byIntegration): string {
  return sql`
    SELECT
        session_key,
        max(decision_time) AS decided_at${columns.map((c) => `,\n${c}`).join('')}
    FROM ine_audit.decision_facts
    WHERE decision_time >= $__fromTime_ms${filter ? ` AND ${filter}` : ''}
    GROUP BY session_key
    HAVING decided_at <= $__toTime_ms${having ? ` AND ${having}` : ''}
  `;
}
