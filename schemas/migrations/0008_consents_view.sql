CREATE VIEW IF NOT EXISTS ine_audit.consents AS
SELECT * EXCEPT (row_version)
FROM ine_audit.consent_rows FINAL
