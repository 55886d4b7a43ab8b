CREATE TABLE IF NOT EXISTS ine_audit.consent_rows
(
    session_id String,
    consent_id String,
    integration LowCardinality(String),
    type LowCardinality(String),
    approved Bool,
    given_at DateTime64(3, 'UTC'),
    end_user_pseudonym Nullable(String),
    vendor_data_pseudonym Nullable(String),
    source Nullable(String),
    text_version Nullable(String),
    delivery_id String,
    received_at DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    row_version UInt64
)
ENGINE = ReplacingMergeTree(row_version)
PARTITION BY toYYYYMM(given_at)
ORDER BY (session_id, consent_id)
