CREATE VIEW IF NOT EXISTS ine_audit.session_events AS
SELECT * EXCEPT (row_version)
FROM ine_audit.event_rows FINAL
