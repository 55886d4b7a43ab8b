-- One session's rows without reading every part: the tables are ordered for time ranges, so a lookup
-- by session id (session-timeline, the session investigation dashboard, erasure) scanned them whole.
-- A bloom filter per granule on session_id lets ClickHouse skip the granules that cannot hold it
-- (also under FINAL: use_skip_indexes_if_final). MATERIALIZE builds it for parts already stored.
ALTER TABLE ine_audit.decision_rows ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE ine_audit.decision_rows MATERIALIZE INDEX IF EXISTS session_lookup;
ALTER TABLE ine_audit.event_rows ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE ine_audit.event_rows MATERIALIZE INDEX IF EXISTS session_lookup;
ALTER TABLE ine_audit.consent_rows ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE ine_audit.consent_rows MATERIALIZE INDEX IF EXISTS session_lookup;
ALTER TABLE ine_audit.deliveries ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE ine_audit.deliveries MATERIALIZE INDEX IF EXISTS session_lookup;
ALTER TABLE ine_audit.raw_payloads ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE ine_audit.raw_payloads MATERIALIZE INDEX IF EXISTS session_lookup;
-- Both halves of the snapshot swap (EXCHANGE TABLES trades them whole, indexes included).
ALTER TABLE ine_audit.consent_verdicts_snapshot ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
ALTER TABLE ine_audit.consent_verdicts_snapshot MATERIALIZE INDEX IF EXISTS session_lookup;
ALTER TABLE ine_audit.consent_verdicts_snapshot_next ADD INDEX IF NOT EXISTS session_lookup session_id TYPE bloom_filter(0.001) GRANULARITY 1;
