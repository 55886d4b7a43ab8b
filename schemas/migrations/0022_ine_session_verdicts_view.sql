-- consent_audit's row for each session with an INE check, computed from ine_session_state: the consent
-- that counts is the latest one at or before the first check (a refusal wins a tie), else the first
-- one after it. FINAL folds a session's rows; a filter on session_key is applied before it, so asking
-- for a few sessions reads only their granules.
CREATE VIEW IF NOT EXISTS ine_audit.ine_session_verdicts AS
SELECT session_key, session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation
FROM
(
    SELECT
        session_key,
        session_id,
        CAST(first_check.2, 'LowCardinality(String)') AS integration,
        first_check.1 AS ine_checked_at,
        arrayReverseSort(c -> (c.1, NOT c.2), arrayFilter(c -> c.1 <= ine_checked_at, consents)) AS before,
        arraySort(c -> (c.1, c.2), arrayFilter(c -> c.1 > ine_checked_at, consents)) AS after,
        CAST(multiIf(notEmpty(before), before[1].1, notEmpty(after), after[1].1, NULL), 'Nullable(DateTime64(3, \'UTC\'))') AS consent_given_at,
        CAST(multiIf(notEmpty(before), before[1].2, notEmpty(after), after[1].2, NULL), 'Nullable(Bool)') AS consent_approved,
        CAST(multiIf(notEmpty(before) AND before[1].2, 'none', notEmpty(before), 'refused', notEmpty(after), 'after_check', 'missing'), 'LowCardinality(String)') AS violation
    FROM ine_audit.ine_session_state FINAL
    WHERE first_check.1 < toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC')
)
