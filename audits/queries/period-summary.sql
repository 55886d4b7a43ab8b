-- @name period-summary
-- @title Headline figures for a period
-- @description One row. Decisions: distinct decisions with decisionTime in [from, to), approval rate =
--   approved / conclusive (approved, declined, expired, abandoned), NULL without conclusive decisions.
--   INE: checks among those decisions, face-match rate = faceMatch true / completed checks. Consent:
--   sessions whose INE check falls in the period (consent_verdicts: consent_audit's rows, pre-aggregated), how many had an approved consent
--   before the check, coverage_pct, and violations (missing + refused + after_check).
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    d.decisions AS decisions,
    -- Distinct sessions on 64 bits of the 128-bit session hash, grouped (merged bucket by bucket), in a
    -- scalar subquery: it runs to its end before the rest starts, so its hash table and FINAL's merge
    -- buffers below never hold memory at once (a year of 10 M decisions: under 520 MB, 650 side by side).
    -- Without FINAL: the copies it would fold share a decision, so its time and session. Two sessions
    -- sharing 64 bits among ten million: odds of about 3 in a million.
    (
        SELECT count()
        FROM
        (
            SELECT toUInt64(session_key) AS session_key64
            FROM ine_audit.decisions_by_time
            WHERE decision_time >= {from:DateTime64(3, 'UTC')}
              AND decision_time < {to:DateTime64(3, 'UTC')}
              AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
            GROUP BY session_key64
        )
    ) AS sessions,
    d.approved AS approved,
    d.conclusive_decisions AS conclusive_decisions,
    d.pending AS pending,
    if(d.conclusive_decisions = 0, NULL, round(100 * d.approved / d.conclusive_decisions, 2)) AS approval_rate_pct,
    d.ine_checks AS ine_checks,
    d.ine_completed AS ine_completed,
    d.face_match_true AS face_match_true,
    if(d.ine_completed = 0, NULL, round(100 * d.face_match_true / d.ine_completed, 2)) AS match_rate_pct,
    c.checked_sessions AS consent_checked_sessions,
    c.consented AS consented,
    if(c.checked_sessions = 0, NULL, round(100 * c.consented / c.checked_sessions, 2)) AS coverage_pct,
    c.checked_sessions - c.consented AS violations
FROM
(
    SELECT
        count() AS decisions,
        countIf(x.status = 'approved') AS approved,
        countIf(s.conclusive) AS conclusive_decisions,
        countIf(x.status IN ('review', 'resubmission_requested')) AS pending,
        countIf(x.ine_check_performed) AS ine_checks,
        countIf(x.ine_result_state = 'completed') AS ine_completed,
        countIf(x.ine_result_state = 'completed' AND x.ine_face_match) AS face_match_true
    FROM
    (
        -- Distinct decisions as the view gives them: FINAL keeps each decision's newest derivation.
        SELECT integration, status, ine_check_performed, ine_result_state, ine_face_match
        FROM ine_audit.decisions_by_time FINAL
        WHERE decision_time >= {from:DateTime64(3, 'UTC')}
          AND decision_time < {to:DateTime64(3, 'UTC')}
    ) AS x
    LEFT JOIN (SELECT status, conclusive FROM ine_audit.decision_statuses FINAL) AS s ON s.status = x.status
    WHERE ({integration:Nullable(String)} IS NULL OR x.integration = {integration:Nullable(String)})
) AS d
CROSS JOIN
(
    SELECT count() AS checked_sessions, countIf(violation = 'none') AS consented
    FROM ine_audit.consent_verdicts
    WHERE ine_checked_at >= {from:DateTime64(3, 'UTC')}
      AND ine_checked_at < {to:DateTime64(3, 'UTC')}
      AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
) AS c
