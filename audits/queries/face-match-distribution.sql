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
        -- Distinct decisions as the view gives them: FINAL keeps each decision's newest derivation.
        SELECT integration, ine_check_performed, ine_result_state, ine_face_match, ine_face_match_percentage, ine_inconsistent
        FROM ine_audit.decisions_by_time FINAL
        WHERE decision_time >= {from:DateTime64(3, 'UTC')}
          AND decision_time < {to:DateTime64(3, 'UTC')}
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
