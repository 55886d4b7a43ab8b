-- One row per distinct rejected request: Veriff re-sends a refused delivery about 168 times.
CREATE VIEW IF NOT EXISTS ine_audit.rejected_events AS
SELECT
    endpoint,
    status,
    reason,
    body_sha256,
    any(integration) AS integration,
    arraySort(groupUniqArrayArray(paths)) AS paths,
    min(at) AS first_seen_at,
    max(at) AS last_seen_at,
    count() AS delivery_count,
    any(body_bytes) AS body_bytes
FROM ine_audit.rejection_log FINAL
GROUP BY endpoint, status, reason, body_sha256
