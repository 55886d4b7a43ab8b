-- @name approval-rate-daily
-- @title Approval rate per UTC day
-- @description Distinct decisions whose decisionTime falls in [from, to), per UTC day. Approval rate =
--   approved / conclusive decisions (approved, declined, expired, abandoned: decision_statuses.conclusive).
--   Review and resubmission_requested are pending and left out. approval_rate_pct is NULL on a day
--   without conclusive decisions, days without decisions are absent.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    toDate(d.decision_time) AS day,
    count() AS decisions,
    countIf(d.status = 'approved') AS approved,
    countIf(d.status = 'declined') AS declined,
    countIf(d.status = 'expired') AS expired,
    countIf(d.status = 'abandoned') AS abandoned,
    countIf(d.status IN ('review', 'resubmission_requested')) AS pending,
    countIf(s.conclusive) AS conclusive_decisions,
    if(conclusive_decisions = 0, NULL, round(100 * approved / conclusive_decisions, 2)) AS approval_rate_pct
FROM (
    -- Distinct decisions as the view gives them: FINAL keeps each decision's newest derivation.
    SELECT decision_time, integration, status
    FROM ine_audit.decisions_by_time FINAL
    WHERE decision_time >= {from:DateTime64(3, 'UTC')}
      AND decision_time < {to:DateTime64(3, 'UTC')}
) AS d
LEFT JOIN (SELECT status, conclusive FROM ine_audit.decision_statuses FINAL) AS s ON s.status = d.status
WHERE ({integration:Nullable(String)} IS NULL OR d.integration = {integration:Nullable(String)})
GROUP BY day
ORDER BY day
