-- The consent snapshot is taken by the process that owns the store, on its schedule
-- (maintenance/consent-snapshot.ts), no longer by a refreshable view: every open of an embedded
-- store started that view's refresh, also the read-only open of a CLI. A snapshot is built in
-- consent_verdicts_snapshot_next and swapped in with EXCHANGE TABLES, so readers see one or the other.
DROP VIEW IF EXISTS ine_audit.consent_verdicts_snapshot_mv;

CREATE TABLE IF NOT EXISTS ine_audit.consent_verdicts_snapshot_next AS ine_audit.consent_verdicts_snapshot;

-- One row per scheduled job run that a process claimed: with several processors on one server,
-- the insert deduplication token (job and time slot) lets exactly one of them run each slot.
CREATE TABLE IF NOT EXISTS ine_audit.scheduled_runs
(
    job LowCardinality(String),
    slot UInt64,
    owner String,
    claimed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (job, slot)
TTL toDateTime(claimed_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 1000;
