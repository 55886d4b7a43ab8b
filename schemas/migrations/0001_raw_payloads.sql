-- Restricted: the exact bytes of every accepted payload, for re-derivation and disputes.
-- Analysts get no grant on it; the retention TTL is re-applied from RAW_RETENTION_DAYS at start-up.
CREATE TABLE IF NOT EXISTS ine_audit.raw_payloads
(
    delivery_id String,
    kind LowCardinality(String),
    integration LowCardinality(String),
    session_id String,
    source LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    body_sha256 String,
    body String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (kind, received_at, delivery_id)
TTL toDateTime(received_at) + INTERVAL 90 DAY
