-- @name face-match-summary
-- @title INE face-match outcomes
-- @description Distinct decisions carrying an INE biometric registry validation whose decisionTime falls
--   in [from, to). Face-match rate = faceMatch = true over checks with ine_result_state = 'completed'
--   (NULL when none completed). threshold_band_80_90 counts checks with faceMatchPercentage between 80
--   and 90 inclusive, inconsistent counts checks whose faceMatch disagrees with percentage >= 85.
--   not_completed = validation present without responseStatus, provider_failures = responseStatus 'failure'.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    count() AS ine_checks,
    countIf(ine_result_state = 'completed') AS completed,
    countIf(ine_result_state = 'completed' AND ine_face_match) AS face_match_true,
    countIf(ine_result_state = 'completed' AND NOT ine_face_match) AS face_match_false,
    if(completed = 0, NULL, round(100 * face_match_true / completed, 2)) AS match_rate_pct,
    countIf(ine_face_match_percentage BETWEEN {ine_band_low:UInt8} AND {ine_band_high:UInt8}) AS threshold_band_80_90,
    countIf(ine_inconsistent) AS inconsistent,
    countIf(ine_result_state = 'not_completed') AS not_completed,
    countIf(ine_result_state = 'provider_failure') AS provider_failures
FROM (
    -- Distinct decisions as the view gives them: FINAL keeps each decision's newest derivation.
    SELECT integration, ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage, ine_inconsistent
    FROM ine_audit.decisions_by_time FINAL
    WHERE decision_time >= {from:DateTime64(3, 'UTC')}
      AND decision_time < {to:DateTime64(3, 'UTC')}
)
WHERE ine_check_performed
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
