-- @name face-match-cases
-- @title INE checks that need a second look
-- @description One row per (check, case) for distinct decisions carrying an INE validation with
--   decisionTime in [from, to). case_type is one of: threshold_band (faceMatchPercentage 80-90
--   inclusive), inconsistent (faceMatch disagrees with percentage >= 85), not_completed (validation
--   present, no responseStatus), provider_failure (responseStatus 'failure'). A check can be listed
--   under several cases.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    case_type,
    session_id,
    integration,
    decision_time,
    status,
    ine_result_state,
    ine_face_match,
    ine_face_match_percentage,
    ine_threshold_match,
    ine_inconsistent
FROM
(
    SELECT
        session_id, integration, decision_time, status, ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage, ine_inconsistent,
        -- As the normalizer sets it: the stored percentage is floored, so it meets the rule when the sent one did.
        CAST(if(ine_face_match_percentage IS NULL, NULL, ine_face_match_percentage >= {ine_match_threshold:UInt8}), 'Nullable(Bool)') AS ine_threshold_match
    FROM
    (
        -- Distinct decisions as the view gives them: FINAL keeps each decision's newest derivation.
        SELECT session_id, integration, decision_time, status, ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage, ine_inconsistent
        FROM ine_audit.decisions_by_time FINAL
        WHERE decision_time >= {from:DateTime64(3, 'UTC')}
          AND decision_time < {to:DateTime64(3, 'UTC')}
    )
)
ARRAY JOIN arrayFilter(x -> x != '', [
    if(ine_face_match_percentage BETWEEN {ine_band_low:UInt8} AND {ine_band_high:UInt8}, 'threshold_band', ''),
    if(ine_inconsistent, 'inconsistent', ''),
    if(ine_result_state = 'not_completed', 'not_completed', ''),
    if(ine_result_state = 'provider_failure', 'provider_failure', '')
]) AS case_type
WHERE ine_check_performed
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
ORDER BY indexOf(['threshold_band', 'inconsistent', 'not_completed', 'provider_failure'], case_type), decision_time, session_id
