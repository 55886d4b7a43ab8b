-- ine_session_verdicts for every session, taken every 10 minutes and stored in check-time order:
-- consent_verdicts reads it for the sessions that have not changed since (computing every session
-- takes seconds at 10 M decisions, too slow for a panel). A refresh replaces the whole table in one
-- swap; refreshed_at is when it started.
CREATE TABLE IF NOT EXISTS ine_audit.consent_verdicts_snapshot
(
    session_id String CODEC(ZSTD(1)),
    integration LowCardinality(String),
    ine_checked_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    consent_given_at Nullable(DateTime64(3, 'UTC')) CODEC(ZSTD(1)),
    consent_approved Nullable(Bool),
    violation LowCardinality(String),
    refreshed_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY ine_checked_at;

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.consent_verdicts_snapshot_mv
REFRESH EVERY 10 MINUTE
TO ine_audit.consent_verdicts_snapshot AS
SELECT session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation, now64(3) AS refreshed_at
FROM ine_audit.ine_session_verdicts;
