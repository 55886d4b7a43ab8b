CREATE TABLE IF NOT EXISTS ine_audit.dead_letters
(
    topic LowCardinality(String),
    partition UInt32,
    offset String,
    key Nullable(String),
    value String CODEC(ZSTD(3)),
    error String,
    at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (topic, partition, offset)
TTL toDateTime(at) + INTERVAL 90 DAY
