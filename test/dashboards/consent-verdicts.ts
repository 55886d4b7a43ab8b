import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { takeConsentSnapshot as takeSnapshot } from '../../maintenance/consent-snapshot.js';

/** Helpers for ine_audit.consent_verdicts (migrations 0021-0024, 0027): take its snapshot now, compare it with consent_audit. */

/**
 * consent_verdicts takes a session from its snapshot only when the session's rows reached
 * ine_session_state 5 minutes or more before the snapshot was taken; younger ones are computed live.
 * Tests and the bench cannot wait that long: this marks every row as old (what the migration's backfill
 * does), then takes the snapshot as the store's owner does on its schedule, returning how long that took in ms.
 */
export async function takeConsentSnapshot(client: ClickHouseClient): Promise<number> {
  await client.command({
    query: "ALTER TABLE ine_audit.ine_session_state UPDATE changed_at = toDateTime64(0, 3, 'UTC') WHERE changed_at > toDateTime64(0, 3, 'UTC')",
    clickhouse_settings: { mutations_sync: '2' },
  });
  const started = performance.now();
  await takeSnapshot(client);
  return performance.now() - started;
}

/** Rows of a pre-aggregated consent view that ine_audit.consent_audit does not have, and the reverse: [] when they agree. */
export async function verdictsDiff(client: ClickHouseClient, from: 'consent_verdicts' | 'ine_session_verdicts', integration?: string): Promise<Array<Record<string, unknown>>> {
  const columns = 'session_id, toString(integration) AS integration, ine_checked_at, consent_given_at, consent_approved, toString(violation) AS violation';
  const where = integration ? 'WHERE integration = {integration:String}' : '';
  const query = `SELECT '${from} only' AS side, * FROM (SELECT ${columns} FROM ine_audit.${from} ${where} EXCEPT SELECT ${columns} FROM ine_audit.consent_audit ${where})
    UNION ALL SELECT 'consent_audit only', * FROM (SELECT ${columns} FROM ine_audit.consent_audit ${where} EXCEPT SELECT ${columns} FROM ine_audit.${from} ${where})`;
  return queryRows(client, query, { integration });
}
