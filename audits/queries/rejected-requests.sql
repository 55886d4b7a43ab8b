-- @name rejected-requests
-- @title Requests the ingest refused
-- @description Distinct refused requests (identical re-sends grouped, see ine_audit.rejected_events)
--   first seen in [from, to), by endpoint, HTTP status and reason. Bodies are never stored, so only the
--   field paths that failed are shown.
-- @param from DateTime64(3, 'UTC') required Start of the period (first seen), inclusive
-- @param to DateTime64(3, 'UTC') required End of the period (first seen), exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    endpoint,
    status,
    reason,
    ifNull(integration, '') AS integration,
    count() AS distinct_requests,
    sum(delivery_count) AS deliveries,
    min(first_seen_at) AS first_seen_at,
    max(last_seen_at) AS last_seen_at,
    arrayStringConcat(arraySort(arrayDistinct(arrayFlatten(groupArray(paths)))), ',') AS paths
FROM
(
    SELECT endpoint, status, reason, integration, delivery_count, first_seen_at, last_seen_at, paths
    FROM ine_audit.rejected_events
    WHERE first_seen_at >= {from:DateTime64(3, 'UTC')}
      AND first_seen_at < {to:DateTime64(3, 'UTC')}
      AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
)
GROUP BY endpoint, status, reason, integration
ORDER BY endpoint, status, reason, integration
