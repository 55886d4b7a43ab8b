-- The decision audits' table: decision_facts' narrow columns, one row per decision once FINAL folds
-- redeliveries and re-derivations (the newest, by latest_key: decision time, then row version), in
-- decision-time order. A period's audit reads only its own granules, and FINAL only merges the few
-- ranges where copies of a decision meet (a decision's copies share its time, hence its partition).
CREATE TABLE IF NOT EXISTS ine_audit.decisions_by_time
(
    decision_time DateTime64(3, 'UTC'),
    decision_key UInt128,
    latest_key UInt128,
    session_key UInt128,
    session_id String,
    integration LowCardinality(String),
    status LowCardinality(String),
    code UInt16,
    reason_code Nullable(UInt16),
    reason Nullable(String) CODEC(ZSTD(1)),
    ine_check_performed Bool,
    ine_result_state LowCardinality(String),
    ine_face_match Nullable(Bool),
    ine_face_match_percentage Nullable(UInt8),
    ine_response_status LowCardinality(Nullable(String)),
    ine_inconsistent Nullable(Bool),
    decision_time_missing Bool
)
ENGINE = ReplacingMergeTree(latest_key)
PARTITION BY toYYYYMM(decision_time)
ORDER BY (decision_time, decision_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.decisions_by_time_mv TO ine_audit.decisions_by_time AS
SELECT
    decision_time,
    reinterpretAsUInt128(sipHash128(decision_id)) AS decision_key,
    bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(decision_time)), 64), toUInt128(row_version)) AS latest_key,
    reinterpretAsUInt128(sipHash128(session_id)) AS session_key,
    session_id, integration, status, code, reason_code, reason, ine_check_performed, ine_result_state, ine_face_match,
    ine_face_match_percentage, ine_response_status, ine_inconsistent, decision_time_missing
FROM ine_audit.decision_rows;

-- Rows stored before the view existed; a repeat (a retried migration) only adds copies FINAL folds.
INSERT INTO ine_audit.decisions_by_time
SELECT
    decision_time,
    reinterpretAsUInt128(sipHash128(decision_id)),
    bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(decision_time)), 64), toUInt128(row_version)),
    reinterpretAsUInt128(sipHash128(session_id)),
    session_id, integration, status, code, reason_code, reason, ine_check_performed, ine_result_state, ine_face_match,
    ine_face_match_percentage, ine_response_status, ine_inconsistent, decision_time_missing
FROM ine_audit.decision_rows
SETTINGS max_partitions_per_insert_block = 0;
