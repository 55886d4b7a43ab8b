import { DATABASE, type ClickHouseClient } from '../lib/clickhouse.js';

const SNAPSHOT = `${DATABASE}.consent_verdicts_snapshot`;
const NEXT = `${DATABASE}.consent_verdicts_snapshot_next`;

/**
 * consent_verdicts reads this snapshot for sessions unchanged since it was taken (migrations 0023,
 * 0024, 0027). Built aside and swapped in whole, so a reader sees the old snapshot or the new one;
 * refreshed_at is when the build started.
 */
export const consentSnapshotJob = (everyMs: number) => ({ name: 'consent-snapshot', everyMs, run: takeConsentSnapshot });

export async function takeConsentSnapshot(client: ClickHouseClient): Promise<void> {
  await client.command({ query: `TRUNCATE TABLE ${NEXT}` });
  await client.command({
    query: `INSERT INTO ${NEXT} (session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation, refreshed_at)
      SELECT session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation, now64(3)
      FROM ${DATABASE}.ine_session_verdicts`,
  });
  await client.command({ query: `EXCHANGE TABLES ${SNAPSHOT} AND ${NEXT}` });
  // The previous snapshot is not needed once swapped out.
  await client.command({ query: `TRUNCATE TABLE ${NEXT}` });
}
