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
    -- Distinct decisions as the view gives them: FINAL keeps each decision's newest derivation.
    SELECT decision_time, integration, ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage, ine_inconsistent
    FROM ine_audit.decisions_by_time FINAL
    WHERE decision_time >= {from:DateTime64(3, 'UTC')}
      AND decision_time < {to:DateTime64(3, 'UTC')}
)
WHERE ine_check_performed
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
GROUP BY day
ORDER BY day
