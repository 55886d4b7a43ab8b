-- Dashboard pre-aggregate: the `ine` consent records under the session key of decision_facts, so the
-- consent panels look a session's consents up without reading consent_rows. Duplicates are harmless:
-- a panel only asks for the latest record at or before the check and whether any came after it.
-- Not ordered by the key, for the reason given in 0019.
CREATE TABLE IF NOT EXISTS ine_audit.ine_consent_facts
(
    session_key UInt128,
    given_at DateTime64(3, 'UTC'),
    approved Bool
)
ENGINE = MergeTree
ORDER BY given_at;

CREATE MATERIALIZED VIEW IF NOT EXISTS ine_audit.ine_consent_facts_mv TO ine_audit.ine_consent_facts AS
SELECT reinterpretAsUInt128(sipHash128(session_id)) AS session_key, given_at, approved
FROM ine_audit.consent_rows
WHERE type = 'ine';

-- Records stored before the view existed; a repeat only adds duplicates.
INSERT INTO ine_audit.ine_consent_facts
SELECT reinterpretAsUInt128(sipHash128(session_id)), given_at, approved
FROM ine_audit.consent_rows
WHERE type = 'ine';
