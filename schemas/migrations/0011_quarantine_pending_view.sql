-- Quarantined deliveries not yet replayed into the normal path. A successful replay re-delivers the
-- body under its original delivery_id with source 'quarantine_replay', so the state is derived, not stored.
CREATE VIEW IF NOT EXISTS ine_audit.quarantine_pending AS
SELECT q.delivery_id, q.kind, q.integration, q.received_at, q.body_sha256, q.body, q.body_encoding, q.errors, q.error_paths
FROM ine_audit.quarantine AS q FINAL
WHERE q.delivery_id NOT IN (
    SELECT delivery_id FROM ine_audit.deliveries WHERE source = 'quarantine_replay'
)
