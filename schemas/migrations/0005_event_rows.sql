CREATE TABLE IF NOT EXISTS ine_audit.event_rows
(
    session_id String,
    event_id String,
    attempt_id String,
    integration LowCardinality(String),
    code UInt16,
    action LowCardinality(String),
    feature LowCardinality(Nullable(String)),
    end_user_pseudonym Nullable(String),
    vendor_data_pseudonym Nullable(String),
    delivery_id String,
    source LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    row_version UInt64
)
ENGINE = ReplacingMergeTree(row_version)
PARTITION BY toYYYYMM(received_at)
ORDER BY (session_id, event_id)
