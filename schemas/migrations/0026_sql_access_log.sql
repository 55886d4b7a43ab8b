-- One row per query through the embedded SQL door (sqldoor/): who read what, never the query text
-- (it may carry a session id or a pseudonym). Only the operator reads it; dashboards read the counts.
CREATE TABLE IF NOT EXISTS ine_audit.sql_access_log
(
    at DateTime64(3, 'UTC'),
    user LowCardinality(String),
    client_address String,
    query_id String,
    query_hash UInt64,
    statement LowCardinality(String),
    tables Array(String),
    result_rows UInt64,
    result_bytes UInt64,
    duration_ms UInt32,
    outcome LowCardinality(String),
    error_code UInt32,
    error_name LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY at
TTL toDateTime(at) + INTERVAL 400 DAY;

CREATE TABLE IF NOT EXISTS ine_audit.sql_access_counts
(
    hour DateTime('UTC'),
    user LowCardinality(String),
    outcome LowCardinality(String),
    queries UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, user, outcome);

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.sql_access_counts_mv TO ine_audit.sql_access_counts AS
SELECT toStartOfHour(at) AS hour, user, outcome, count() AS queries
FROM ine_audit.sql_access_log
GROUP BY hour, user, outcome;
