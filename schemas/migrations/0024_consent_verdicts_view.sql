-- consent_audit's rows, fast and exact, for the consent dashboard and its alert: the snapshot for
-- sessions unchanged since it was taken, ine_session_verdicts for those that changed. "Changed" counts
-- from 5 minutes before the snapshot started, which covers any insert still being written while it read
-- (a row is stamped when its block is processed, seconds before it is committed at most). With no
-- snapshot yet every session counts as changed: still exact, only slower.
CREATE VIEW IF NOT EXISTS ine_audit.consent_verdicts AS
WITH (SELECT max(refreshed_at) FROM ine_audit.consent_verdicts_snapshot) - INTERVAL 5 MINUTE AS changed_since
SELECT session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation
FROM
(
    SELECT session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation
    FROM ine_audit.consent_verdicts_snapshot
    WHERE session_id NOT IN (SELECT session_id FROM ine_audit.ine_session_state WHERE changed_at >= changed_since)
    UNION ALL
    SELECT session_id, integration, ine_checked_at, consent_given_at, consent_approved, violation
    FROM ine_audit.ine_session_verdicts
    WHERE session_key IN (SELECT session_key FROM ine_audit.ine_session_state WHERE changed_at >= changed_since)
)
