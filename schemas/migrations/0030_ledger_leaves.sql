-- The ledger's leaves: one row per copy of an accepted delivery as it reached ClickHouse, without the
-- body (its SHA-256 only), so a leaf outlives the raw copy (erasure, TTL). No personal data: analysts read it.
-- inserted_at, the time the row reached ClickHouse, decides which digest seals it (ledger/README in the main README).
CREATE TABLE IF NOT EXISTS ine_audit.ledger_leaves
(
    delivery_id String,
    kind LowCardinality(String),
    integration LowCardinality(String),
    session_id String,
    source LowCardinality(String),
    body_sha256 String,
    received_at DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(inserted_at)
ORDER BY (inserted_at, delivery_id)
