-- Exactly one row per verification session: its latest decision.
CREATE VIEW IF NOT EXISTS ine_audit.decisions_latest AS
SELECT *
FROM ine_audit.decisions
ORDER BY session_id, decision_time DESC, received_at DESC, decision_id DESC
LIMIT 1 BY session_id
