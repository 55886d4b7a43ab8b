-- Every raw copy written is a leaf; a redelivered or re-derived copy adds a row the sealer ignores
-- (a delivery id is sealed once, by its first copy).
CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.ledger_leaves_mv TO ine_audit.ledger_leaves AS
SELECT delivery_id, kind, integration, session_id, source, body_sha256, received_at, now64(3) AS inserted_at
FROM ine_audit.raw_payloads;

-- Raw copies stored before the ledger existed become leaves once, with the time of this migration.
INSERT INTO ine_audit.ledger_leaves (delivery_id, kind, integration, session_id, source, body_sha256, received_at)
SELECT delivery_id, kind, integration, session_id, source, body_sha256, received_at
FROM ine_audit.raw_payloads FINAL
WHERE delivery_id NOT IN (SELECT delivery_id FROM ine_audit.ledger_leaves)
