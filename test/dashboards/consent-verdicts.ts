import { setTimeout as sleep } from 'node:timers/promises';
import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';

/** Helpers for ine_audit.consent_verdicts (migrations 0021-0024): take its snapshot now, compare it with consent_audit. */

const VIEW = 'ine_audit.consent_verdicts_snapshot_mv';

/**
 * consent_verdicts takes a session from its snapshot only when the session's rows reached
 * ine_session_state 5 minutes or more before the snapshot was taken; younger ones are computed live.
 * Tests and the bench cannot wait that long: this marks every row as old (what the migration's backfill
 * does), takes a snapshot now and returns when it has replaced the previous one, with how long the
 * refresh took in ms. The store needs at least one session with an INE check (an empty snapshot has no
 * refreshed_at to wait for).
 */
export async function takeConsentSnapshot(client: ClickHouseClient, deadlineMs = 120_000): Promise<number> {
  await client.command({ query: `SYSTEM WAIT VIEW ${VIEW}` });
  await client.command({
    query: "ALTER TABLE ine_audit.ine_session_state UPDATE changed_at = toDateTime64(0, 3, 'UTC') WHERE changed_at > toDateTime64(0, 3, 'UTC')",
    clickhouse_settings: { mutations_sync: '2' },
  });
  const [{ asked }] = (await queryRows<{ asked: string }>(client, 'SELECT toString(now64(3)) AS asked')) as [{ asked: string }];
  const started = performance.now();
  await client.command({ query: `SYSTEM REFRESH VIEW ${VIEW}` });
  for (;; await sleep(100)) {
    await client.command({ query: `SYSTEM WAIT VIEW ${VIEW}` });
    const [row] = await queryRows<{ done: number }>(client, 'SELECT max(refreshed_at) >= {asked:DateTime64(3)} AS done FROM ine_audit.consent_verdicts_snapshot', { asked });
    if (row?.done) return performance.now() - started;
    if (performance.now() - started > deadlineMs) throw new Error(`${VIEW} did not refresh within ${deadlineMs} ms`);
  }
}

/** Rows of a pre-aggregated consent view that ine_audit.consent_audit does not have, and the reverse: [] when they agree. */
export async function verdictsDiff(client: ClickHouseClient, from: 'consent_verdicts' | 'ine_session_verdicts', integration?: string): Promise<Array<Record<string, unknown>>> {
  const columns = 'session_id, toString(integration) AS integration, ine_checked_at, consent_given_at, consent_approved, toString(violation) AS violation';
  const where = integration ? 'WHERE integration = {integration:String}' : '';
  const query = `SELECT '${from} only' AS side, * FROM (SELECT ${columns} FROM ine_audit.${from} ${where} EXCEPT SELECT ${columns} FROM ine_audit.consent_audit ${where})
    UNION ALL SELECT 'consent_audit only', * FROM (SELECT ${columns} FROM ine_audit.consent_audit ${where} EXCEPT SELECT ${columns} FROM ine_audit.${from} ${where})`;
  return queryRows(client, query, { integration });
}
