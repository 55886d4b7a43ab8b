-- Correctly signed bodies that failed validation, kept whole (restricted, like raw_payloads).
CREATE TABLE IF NOT EXISTS ine_audit.quarantine
(
    delivery_id String,
    kind LowCardinality(String),
    integration LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    body_sha256 String,
    body String CODEC(ZSTD(3)),
    -- 'base64' when the bytes were not valid UTF-8
    body_encoding LowCardinality(String),
    errors Array(Tuple(path String, message String)),
    error_paths Array(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (received_at, delivery_id)
TTL toDateTime(received_at) + INTERVAL 90 DAY
