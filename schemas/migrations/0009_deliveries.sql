-- One row per accepted delivery (HTTP request, import line, replay); Kafka redelivery collapses on delivery_id.
-- record_id is the decision_id / event_id / consent_id it carried, so repeated deliveries can be counted.
CREATE TABLE IF NOT EXISTS ine_audit.deliveries
(
    delivery_id String,
    kind LowCardinality(String),
    record_id String,
    session_id String,
    integration LowCardinality(String),
    source LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    event_time Nullable(DateTime64(3, 'UTC'))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (kind, delivery_id)
