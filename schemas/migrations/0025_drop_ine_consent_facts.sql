-- The consent panels read consent_verdicts (0021–0024) since those migrations; ine_consent_facts has
-- no reader left, and its view only added work to every consent insert.
DROP VIEW IF EXISTS ine_audit.ine_consent_facts_mv;

DROP TABLE IF EXISTS ine_audit.ine_consent_facts;
