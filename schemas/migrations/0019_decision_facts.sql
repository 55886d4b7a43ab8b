-- Dashboard pre-aggregate: one narrow row per stored decision row, in decision-time order, so a panel
-- reads only its time range and groups sessions on a 128-bit key instead of a string. The key stays out
-- of ORDER BY: panels look sessions up with IN (hundreds of thousands of keys), which a primary-key
-- column would make ClickHouse check granule by granule. Redeliveries and
-- re-derivations add rows instead of replacing them, so every panel is written to be indifferent to
-- duplicates: per session it keeps the row with the greatest latest_key (decision time, then
-- row_version: the newest decision in its newest derivation), per decision the first arrival.
CREATE TABLE IF NOT EXISTS ine_audit.decision_facts
(
    session_key UInt128,
    session_id String,
    decision_key UInt128,
    decision_time DateTime64(3, 'UTC'),
    latest_key UInt128,
    integration LowCardinality(String),
    status LowCardinality(String),
    code UInt16,
    reason_code Nullable(UInt16),
    ine_check_performed Bool,
    ine_result_state LowCardinality(String),
    ine_face_match Nullable(Bool),
    ine_face_match_percentage Nullable(UInt8),
    ine_response_status LowCardinality(Nullable(String)),
    ine_inconsistent Nullable(Bool),
    decision_time_missing Bool,
    received_at DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(decision_time)
ORDER BY decision_time;

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.decision_facts_mv TO ine_audit.decision_facts AS
SELECT
    reinterpretAsUInt128(sipHash128(session_id)) AS session_key,
    session_id,
    reinterpretAsUInt128(sipHash128(decision_id)) AS decision_key,
    decision_time,
    bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(decision_time)), 64), toUInt128(row_version)) AS latest_key,
    integration, status, code, reason_code, ine_check_performed, ine_result_state, ine_face_match,
    ine_face_match_percentage, ine_response_status, ine_inconsistent, decision_time_missing, received_at, inserted_at
FROM ine_audit.decision_rows;

-- Rows stored before the view existed. A repeat (a retried migration) only adds duplicates, which no panel counts.
INSERT INTO ine_audit.decision_facts
SELECT
    reinterpretAsUInt128(sipHash128(session_id)),
    session_id,
    reinterpretAsUInt128(sipHash128(decision_id)),
    decision_time,
    bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(decision_time)), 64), toUInt128(row_version)),
    integration, status, code, reason_code, ine_check_performed, ine_result_state, ine_face_match,
    ine_face_match_percentage, ine_response_status, ine_inconsistent, decision_time_missing, received_at, inserted_at
FROM ine_audit.decision_rows
SETTINGS max_partitions_per_insert_block = 0;
