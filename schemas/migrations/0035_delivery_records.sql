-- What duplicate-deliveries reads to find repeated records without grouping every delivery: per record
-- (kind and record id, ordered by their 128-bit hash) its first delivery time, the least and greatest hash of its
-- delivery ids (more than one delivery: least != greatest) and the least and greatest integration that
-- delivered it. min and max fold any number of copies alike, so Kafka redeliveries and a repeated
-- backfill change nothing, and FINAL gives one row per record without a hash table.
CREATE TABLE IF NOT EXISTS ine_audit.delivery_records
(
    record_key UInt128,
    kind SimpleAggregateFunction(any, LowCardinality(String)),
    record_id SimpleAggregateFunction(any, String),
    first_received_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    least_delivery SimpleAggregateFunction(min, UInt64),
    greatest_delivery SimpleAggregateFunction(max, UInt64),
    least_integration SimpleAggregateFunction(min, LowCardinality(String)),
    greatest_integration SimpleAggregateFunction(max, LowCardinality(String))
)
ENGINE = AggregatingMergeTree
ORDER BY record_key;

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.delivery_records_mv TO ine_audit.delivery_records AS
SELECT
    reinterpretAsUInt128(sipHash128(kind, record_id)) AS record_key,
    kind,
    record_id,
    received_at AS first_received_at,
    sipHash64(delivery_id) AS least_delivery,
    sipHash64(delivery_id) AS greatest_delivery,
    integration AS least_integration,
    integration AS greatest_integration
FROM ine_audit.deliveries;

-- Deliveries stored before the view existed (an overlap with the view's first inserts folds away).
INSERT INTO ine_audit.delivery_records
SELECT reinterpretAsUInt128(sipHash128(kind, record_id)), kind, record_id, received_at, sipHash64(delivery_id), sipHash64(delivery_id), integration, integration
FROM ine_audit.deliveries;
