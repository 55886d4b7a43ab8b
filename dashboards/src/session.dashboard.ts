import { TextBoxVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { loadCatalog } from '../../audits/catalog.js';
import { auditDashboard, sql } from './dashboard.js';
import { investigateSession, table, unit, type Override } from './panels.js';

/**
 * One session, everything the store knows about it, for an officer who followed a link from a table
 * of sessions. Whole history, whatever the time range. The timeline is the audit query
 * `session-timeline`, so the dashboard and an evidence pack tell the same story.
 */

export const SESSION_DASHBOARD_UID = 'ine-audit-session';
export const SESSION_VARIABLE = 'session';

/**
 * The text box value inside SQL. Not `sqlstring`: Grafana only doubles quotes, and ClickHouse reads a
 * backslash as an escape, so `x\' OR 1=1 --` would end the literal. Percent-encoded (Grafana's strict
 * RFC 3986 encoder) the value is letters, digits, `-_.~` and `%XX` only, decoded by ClickHouse.
 */
export const sessionValue = "decodeURLComponent('${session:percentencode}')";
const session = sessionValue;

/**
 * The audit's SQL with the text box in place of its parameter. Events are read from the table the
 * session_events view reads (the same rows), where the grafana role holds a column grant; the
 * consent verdict from consent_verdicts, consent_audit's rows pre-aggregated.
 */
export function timelineSql(): string {
  const audit = loadCatalog().get('session-timeline')!.sql;
  return audit
    .replace(/^(--.*\n)+/, '')
    .replaceAll('{session:String}', session)
    .replaceAll('FROM ine_audit.session_events', 'FROM ine_audit.event_rows FINAL')
    .replaceAll('FROM ine_audit.consent_audit', 'FROM ine_audit.consent_verdicts')
    .trim();
}

const timeColumns = (...names: string[]): Override[] => names.map((n) => [n, [unit('dateTimeAsIso')]]);

export const sessionDashboard = () =>
  auditDashboard({
    uid: SESSION_DASHBOARD_UID,
    title: 'INE audit · Session investigation',
    description: 'One verification session: every event, consent, INE check, decision and delivery in time order, and its latest decision. Type or paste a session id, or follow a link from a table of sessions.',
    from: 'now-30d',
    refresh: '',
    variables: [
      new TextBoxVariableBuilder(SESSION_VARIABLE)
        .label('Session id')
        .description('The Veriff verification session id (verification.id).'),
    ],
    panels: [
      table({
        id: 1,
        title: 'Latest decision (decisions_latest)',
        description: "The session's row in ine_audit.decisions_latest: its latest decision and the INE result it carried. Empty when the session has no decision yet. Read with that view's own rule from ine_audit.decisions, where the session id is the primary key (the view would order every session first).",
        at: [0, 0, 24, 5],
        unit: 'short',
        overrides: timeColumns('decision_time', 'received_at'),
        sql: sql`
          SELECT
              session_id, attempt_id, status, code, reason_code, reason, decision_time, integration,
              ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage,
              ine_response_status, ine_threshold_match, ine_inconsistent, source, received_at
          FROM ine_audit.decisions
          WHERE session_id = ${session}
          ORDER BY decision_time DESC, received_at DESC, decision_id DESC
          LIMIT 1
        `,
      }),
      table({
        id: 2,
        title: 'Session timeline',
        description:
          'Events (at = received), consents (at = givenAt), the INE check with its consent verdict (at = check time), every decision (at = decisionTime) and every accepted delivery, re-sends included (at = received). No payloads, no personal data; the same rows as `npm run audit -- session-timeline`.',
        at: [0, 5, 24, 16],
        unit: 'short',
        overrides: timeColumns('at', 'received_at'),
        sql: timelineSql(),
      }),
    ],
  });

/** For every table that lists sessions: its session_id column links here. */
export const sessionIdLinks: Override = ['session_id', [investigateSession(SESSION_DASHBOARD_UID, SESSION_VARIABLE)]];
