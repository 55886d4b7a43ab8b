-- @name face-match-distribution
-- @title Distribution of INE face-match percentages
-- @description Completed INE checks with a faceMatchPercentage, decisionTime in [from, to), in ten
--   buckets (0-9, 10-19, ..., 90-100, every bucket is listed, empty ones with 0), with how many of them
--   the provider answered faceMatch true and false.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
WITH counts AS
(
    SELECT
        toUInt8(least(intDiv(assumeNotNull(ine_face_match_percentage), 10) * 10, 90)) AS bucket,
        count() AS n,
        countIf(ine_face_match) AS n_true,
        countIf(NOT ine_face_match) AS n_false
    FROM (
        -- Distinct decisions as the view gives them: per decision, its newest derivation (latest_key).
        -- A Nullable column goes as (is NULL, value): argMax alone skips a NULL of the newest row.
        SELECT
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
      AND ine_result_state = 'completed'
      AND ine_face_match_percentage IS NOT NULL
      AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
    GROUP BY bucket
)
SELECT
    b.bucket AS bucket_from,
    toUInt8(if(b.bucket = 90, 100, b.bucket + 9)) AS bucket_to,
    c.n AS checks,
    c.n_true AS face_match_true,
    c.n_false AS face_match_false
FROM (SELECT toUInt8(arrayJoin(range(0, 100, 10))) AS bucket) AS b
LEFT JOIN counts AS c ON c.bucket = b.bucket
ORDER BY bucket_from
