-- One row per session that had an INE check. The check time is the earliest decisionTime of a
-- decision carrying ineBiometricRegistryValidation; the consent that counts is the latest `ine`
-- record given at or before it (a refusal wins a tie).
CREATE VIEW IF NOT EXISTS ine_audit.consent_audit AS
WITH
    checks AS
    (
        SELECT session_id, argMin(integration, decision_time) AS integration, min(decision_time) AS ine_checked_at
        FROM ine_audit.decisions
        WHERE ine_check_performed
        GROUP BY session_id
    ),
    ine_consents AS
    (
        SELECT session_id, given_at, approved
        FROM ine_audit.consents
        WHERE type = 'ine' AND session_id IN (SELECT session_id FROM checks)
    ),
    judged AS
    (
        SELECT
            c.session_id AS session_id,
            countIf(k.session_id != '' AND k.given_at <= c.ine_checked_at) AS before_count,
            argMaxIf(tuple(k.given_at, k.approved), tuple(k.given_at, NOT k.approved), k.session_id != '' AND k.given_at <= c.ine_checked_at) AS before_latest,
            countIf(k.session_id != '' AND k.given_at > c.ine_checked_at) AS after_count,
            argMinIf(tuple(k.given_at, k.approved), k.given_at, k.session_id != '' AND k.given_at > c.ine_checked_at) AS first_after
        FROM checks AS c
        LEFT JOIN ine_consents AS k ON k.session_id = c.session_id
        GROUP BY c.session_id
    )
SELECT
    c.session_id AS session_id,
    c.integration AS integration,
    c.ine_checked_at AS ine_checked_at,
    multiIf(j.before_count > 0, CAST(tupleElement(j.before_latest, 1), 'Nullable(DateTime64(3, \'UTC\'))'),
            j.after_count > 0, CAST(tupleElement(j.first_after, 1), 'Nullable(DateTime64(3, \'UTC\'))'),
            NULL) AS consent_given_at,
    multiIf(j.before_count > 0, CAST(tupleElement(j.before_latest, 2), 'Nullable(Bool)'),
            j.after_count > 0, CAST(tupleElement(j.first_after, 2), 'Nullable(Bool)'),
            NULL) AS consent_approved,
    multiIf(j.before_count > 0 AND tupleElement(j.before_latest, 2), 'none',
            j.before_count > 0, 'refused',
            j.after_count > 0, 'after_check',
            'missing') AS violation
FROM checks AS c
INNER JOIN judged AS j ON j.session_id = c.session_id
