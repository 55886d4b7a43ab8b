-- Which leaves a seal attempt covered. Rows count only when a digest names their seal_id: an attempt
-- that crashed or lost the race for its interval leaves orphan rows that sealing and verifying ignore.
CREATE TABLE IF NOT EXISTS ine_audit.ledger_members
(
    seal_id String,
    delivery_id String,
    leaf_hash String
)
ENGINE = MergeTree
ORDER BY (delivery_id, seal_id)
