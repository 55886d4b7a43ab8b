-- One receipt per data-subject erasure (npm run erase). What was removed is counted per table; the
-- subject is a session id or a person pseudonym, never the identifier the request named. (request_reason,
-- not reason: the SQL door refuses a query naming a column outside a role's grant, and timelines name decisions' reason.)
CREATE TABLE IF NOT EXISTS ine_audit.erasures
(
    erasure_id String,
    at DateTime64(3, 'UTC'),
    requested_by String,
    run_by String,
    request_reason String,
    scope LowCardinality(String),
    subject String,
    full Bool,
    session_ids Array(String),
    delivery_ids Array(String),
    removed Array(String),
    rows_removed Map(String, UInt64),
    kafka_copies_expire_at Nullable(DateTime64(3, 'UTC'))
)
ENGINE = MergeTree
ORDER BY (at, erasure_id)
