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
    -- Distinct decisions as the view gives them: per decision, its newest derivation (latest_key).
    -- A Nullable column goes as (is NULL, value): argMax alone skips a NULL of the newest row.
    SELECT
        argMax(f.decision_time, f.latest_key) AS decision_time,
        argMax(f.integration, f.latest_key) AS integration,
        argMax(f.ine_check_performed, f.latest_key) AS ine_check_performed,
        argMax(f.ine_result_state, f.latest_key) AS ine_result_state,
        if(argMax(isNull(f.ine_face_match), f.latest_key), NULL, argMax(assumeNotNull(f.ine_face_match), f.latest_key)) AS ine_face_match,
        if(argMax(isNull(f.ine_face_match_percentage), f.latest_key), NULL, argMax(assumeNotNull(f.ine_face_match_percentage), f.latest_key)) AS ine_face_match_percentage,
        if(argMax(isNull(f.ine_inconsistent), f.latest_key), NULL, argMax(assumeNotNull(f.ine_inconsistent), f.latest_key)) AS ine_inconsistent
    FROM ine_audit.decision_facts AS f
    WHERE f.decision_time >= {from:DateTime64(3, 'UTC')}
      AND f.decision_time < {to:DateTime64(3, 'UTC')}
    GROUP BY f.decision_key
)
WHERE ine_check_performed
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
GROUP BY day
ORDER BY day
