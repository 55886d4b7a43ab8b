-- Dashboard pre-aggregate: per session, what its consent verdict depends on (the first INE check, with
-- the integration that sent it, and every distinct `ine` consent), kept exact whatever order rows arrive
-- in: merges fold a session's rows with min, union and max, so duplicates and late rows change nothing.
-- changed_at is when a row for the session last arrived (consent_verdicts reads it). A consent-only row
-- carries the largest DateTime64 as its "check". Ordered by session key, with small granules and
-- compression blocks so that reading a few hundred sessions back (consent_verdicts) stays cheap.
CREATE TABLE IF NOT EXISTS ine_audit.ine_session_state
(
    session_key UInt128,
    session_id SimpleAggregateFunction(max, String),
    first_check SimpleAggregateFunction(min, Tuple(DateTime64(3, 'UTC'), String)),
    consents SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), Bool))),
    changed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY session_key
SETTINGS index_granularity = 32, min_compress_block_size = 1024, max_compress_block_size = 4096;

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.ine_session_state_checks_mv TO ine_audit.ine_session_state AS
SELECT
    reinterpretAsUInt128(sipHash128(session_id)) AS session_key,
    session_id,
    (decision_time, toString(integration)) AS first_check,
    CAST([], 'Array(Tuple(DateTime64(3, \'UTC\'), Bool))') AS consents,
    now64(3) AS changed_at
FROM ine_audit.decision_rows
WHERE ine_check_performed;

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.ine_session_state_consents_mv TO ine_audit.ine_session_state AS
SELECT
    reinterpretAsUInt128(sipHash128(session_id)) AS session_key,
    session_id,
    (toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'), '') AS first_check,
    [(given_at, approved)] AS consents,
    now64(3) AS changed_at
FROM ine_audit.consent_rows
WHERE type = 'ine';

-- Rows stored before the views existed, stamped as changed in 1970: the first snapshot (0023) is taken
-- after them, so it covers them. A repeat (a retried migration) only adds duplicates.
INSERT INTO ine_audit.ine_session_state
SELECT reinterpretAsUInt128(sipHash128(session_id)), session_id, (decision_time, toString(integration)), [], toDateTime64(0, 3, 'UTC')
FROM ine_audit.decision_rows
WHERE ine_check_performed;

INSERT INTO ine_audit.ine_session_state
SELECT reinterpretAsUInt128(sipHash128(session_id)), session_id, (toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'), ''), [(given_at, approved)], toDateTime64(0, 3, 'UTC')
FROM ine_audit.consent_rows
WHERE type = 'ine';
