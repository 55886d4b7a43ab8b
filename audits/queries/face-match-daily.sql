-- @name face-match-daily
-- @title INE face-match rate per UTC day
-- @description Distinct decisions carrying an INE validation whose decisionTime falls in [from, to), per
--   UTC day. match_rate_pct = faceMatch = true over completed checks (NULL on a day without a completed
--   check), days without INE checks are absent.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    toDate(decision_time) AS day,
    count() AS ine_checks,
    countIf(ine_result_state = 'completed') AS completed,
    countIf(ine_result_state = 'completed' AND ine_face_match) AS face_match_true,
    if(completed = 0, NULL, round(100 * face_match_true / completed, 2)) AS match_rate_pct
FROM (
    -- Distinct decisions as the view gives them: per decision, its newest derivation (latest_key),
    -- one tuple, so that a NULL of the newest row stays NULL (argMax skips NULL values).
    SELECT v.1 AS decision_time, v.2 AS integration, v.3 AS ine_check_performed, v.4 AS ine_result_state, v.5 AS ine_face_match, v.6 AS ine_face_match_percentage, v.7 AS ine_inconsistent
    FROM
    (
        SELECT argMax((decision_time, integration, ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage, ine_inconsistent), latest_key) AS v
        FROM ine_audit.decision_facts
        WHERE decision_time >= {from:DateTime64(3, 'UTC')}
          AND decision_time < {to:DateTime64(3, 'UTC')}
        GROUP BY decision_key
    )
)
WHERE ine_check_performed
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
GROUP BY day
ORDER BY day
