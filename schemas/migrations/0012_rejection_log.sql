-- One row per rejected request (never its body); rejected_events groups identical re-sends.
CREATE TABLE IF NOT EXISTS ine_audit.rejection_log
(
    rejection_id String,
    at DateTime64(3, 'UTC'),
    integration LowCardinality(Nullable(String)),
    endpoint LowCardinality(String),
    status UInt16,
    reason LowCardinality(String),
    paths Array(String),
    body_sha256 String,
    body_bytes UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, rejection_id)
