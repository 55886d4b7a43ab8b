-- What analysts query: duplicates already collapsed, whether or not background merges have run.
CREATE VIEW IF NOT EXISTS ine_audit.decisions AS
SELECT * EXCEPT (row_version)
FROM ine_audit.decision_rows FINAL
