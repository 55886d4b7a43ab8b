-- @name consent-violations
-- @title INE checks without an approved consent before the check
-- @description One row per session whose INE check falls in [from, to) and whose consent verdict is
--   not `none`: missing (no `ine` consent at all), refused (the consent in force at the check was a
--   refusal) or after_check (the only consent was given after the check). consent_given_at and
--   consent_approved describe the consent record the verdict rests on (NULL when missing).
--   latest_status is the session's latest decision.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    a.session_id AS session_id,
    a.integration AS integration,
    a.ine_checked_at AS ine_checked_at,
    a.violation AS violation,
    a.consent_given_at AS consent_given_at,
    a.consent_approved AS consent_approved,
    l.status AS latest_status
FROM ine_audit.consent_verdicts AS a
LEFT JOIN
(
    -- The violators' latest decisions as decisions_latest orders them (newest decision time, then
    -- receipt, then decision id), each decision in its newest derivation (highest row_version), as
    -- decisions (FINAL) keeps it. A session's latest decision is no older than its INE check, itself
    -- one of its decisions, so only the decisions since the period's start are read.
    SELECT session_id, argMax(newest.1, (newest.2, newest.3, decision_id)) AS status
    FROM
    (
        SELECT session_id, decision_id, argMax((status, decision_time, received_at), row_version) AS newest
        FROM ine_audit.decision_rows
        WHERE decision_time >= {from:DateTime64(3, 'UTC')}
          AND session_id IN (
            SELECT session_id FROM ine_audit.consent_verdicts
            WHERE violation != 'none'
              AND ine_checked_at >= {from:DateTime64(3, 'UTC')}
              AND ine_checked_at < {to:DateTime64(3, 'UTC')}
              AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
          )
        GROUP BY session_id, decision_id
    )
    GROUP BY session_id
) AS l ON l.session_id = a.session_id
WHERE a.violation != 'none'
  AND a.ine_checked_at >= {from:DateTime64(3, 'UTC')}
  AND a.ine_checked_at < {to:DateTime64(3, 'UTC')}
  AND ({integration:Nullable(String)} IS NULL OR a.integration = {integration:Nullable(String)})
ORDER BY ine_checked_at, session_id
