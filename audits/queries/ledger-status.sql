-- @name ledger-status
-- @title The signed ledger: intervals sealed, leaves per interval, last seal, unsealed backlog
-- @description Digests of intervals starting in [from, to): how many were sealed, the leaves (accepted
--   deliveries) they sealed in all, per interval on average and at most, the first and last interval,
--   when the last one was sealed, and the backlog: deliveries that reached ClickHouse after the chain's
--   last sealed interval and wait for their digest (npm run audit -- verify-store checks the chain itself).
-- @param from DateTime64(3, 'UTC') required Start of the period (interval start), inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
SELECT
    count() AS intervals_sealed,
    sum(leaf_count) AS leaves_sealed,
    round(avg(leaf_count), 1) AS leaves_per_interval,
    max(leaf_count) AS max_leaves_per_interval,
    min(interval_start) AS first_interval_start,
    max(interval_end) AS last_interval_end,
    max(sealed_at) AS last_sealed_at,
    (
        SELECT uniqExact(delivery_id)
        FROM ine_audit.ledger_leaves
        WHERE inserted_at >= (SELECT max(interval_end) FROM ine_audit.ledger_digests)
    ) AS unsealed_backlog
FROM ine_audit.ledger_digests
WHERE interval_start >= {from:DateTime64(3, 'UTC')} AND interval_start < {to:DateTime64(3, 'UTC')}
