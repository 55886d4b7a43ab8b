-- One row per distinct decision (session, attempt, status, code, decisionTime); redeliveries collapse
-- on decision_id and a re-derivation (replay) replaces the row through a higher row_version.
CREATE TABLE IF NOT EXISTS ine_audit.decision_rows
(
    session_id String,
    decision_id String,
    attempt_id String,
    integration LowCardinality(String),
    status LowCardinality(String),
    code UInt16,
    reason Nullable(String),
    reason_code Nullable(UInt16),
    decision_time DateTime64(3, 'UTC'),
    decision_time_missing Bool,
    acceptance_time Nullable(DateTime64(3, 'UTC')),
    submission_time Nullable(DateTime64(3, 'UTC')),
    status_code_mismatch Bool,
    ine_check_performed Bool,
    ine_result_state LowCardinality(String),
    ine_face_match Nullable(Bool),
    ine_face_match_percentage Nullable(UInt8),
    ine_response_status LowCardinality(Nullable(String)),
    ine_threshold_match Nullable(Bool),
    ine_inconsistent Nullable(Bool),
    document_type LowCardinality(Nullable(String)),
    document_country LowCardinality(Nullable(String)),
    person_pseudonym Nullable(String),
    end_user_pseudonym Nullable(String),
    vendor_data_pseudonym Nullable(String),
    risk_score Nullable(Float64),
    risk_labels Array(String),
    delivery_id String,
    source LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    row_version UInt64
)
ENGINE = ReplacingMergeTree(row_version)
PARTITION BY toYYYYMM(decision_time)
ORDER BY (session_id, decision_id)
