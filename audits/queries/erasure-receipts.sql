-- @name erasure-receipts
-- @title Data-subject erasures carried out in the period
-- @description One row per erasure receipt written in [from, to) by npm run erase: its receipt id, whether
--   it named a session or a person, whether pseudonyms went too (full), how many sessions and deliveries
--   it covered, the rows removed per table and when the last Kafka copy expires. Who asked, who ran it,
--   the reason and the subject stay with the operator (they may name a person).
-- @param from DateTime64(3, 'UTC') required Start of the period (when the erasure ran), inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
SELECT
    erasure_id,
    at,
    toString(scope) AS scope,
    full,
    length(session_ids) AS sessions,
    length(delivery_ids) AS deliveries,
    toString(rows_removed) AS rows_removed,
    kafka_copies_expire_at
FROM ine_audit.erasures
WHERE at >= {from:DateTime64(3, 'UTC')} AND at < {to:DateTime64(3, 'UTC')}
ORDER BY at, erasure_id
