-- @name decisions-by-status
-- @title Decisions by status, code and reason
-- @description Distinct decisions (redeliveries collapsed) whose decisionTime falls in [from, to),
--   grouped by status, code, reason code and reason text, with the labels of the dimension tables.
--   An unknown status, code or reason code is labelled 'unknown' (reason_label is NULL when the
--   decision has no reason code). conclusive marks the statuses that count in approval rates.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    d.status AS status,
    if(s.label = '', 'unknown', s.label) AS status_label,
    s.conclusive AS conclusive,
    d.code AS code,
    if(c.label = '', 'unknown', c.label) AS code_label,
    d.reason_code AS reason_code,
    if(d.reason_code IS NULL, NULL, if(r.label = '', 'unknown', r.label)) AS reason_label,
    d.reason AS reason,
    count() AS decisions,
    uniqExact(d.session_id) AS sessions
FROM ine_audit.decisions AS d
LEFT JOIN (SELECT status, label, conclusive FROM ine_audit.decision_statuses FINAL) AS s ON s.status = d.status
LEFT JOIN (SELECT code, label FROM ine_audit.status_codes FINAL) AS c ON c.code = d.code
LEFT JOIN (SELECT code, label FROM ine_audit.reason_codes FINAL) AS r ON r.code = d.reason_code
WHERE d.decision_time >= {from:DateTime64(3, 'UTC')}
  AND d.decision_time < {to:DateTime64(3, 'UTC')}
  AND ({integration:Nullable(String)} IS NULL OR d.integration = {integration:Nullable(String)})
GROUP BY status, status_label, conclusive, code, code_label, reason_code, reason_label, reason
ORDER BY status, code, reason_code NULLS FIRST, reason NULLS FIRST
