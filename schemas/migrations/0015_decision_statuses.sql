-- Veriff session statuses (verification-session-status-codes-table). `conclusive` drives approval rates:
-- review and resubmission_requested are pending and left out.
CREATE TABLE IF NOT EXISTS ine_audit.decision_statuses
(
    status String,
    code UInt16,
    label String,
    category LowCardinality(String),
    conclusive Bool
)
ENGINE = ReplacingMergeTree
ORDER BY status;

INSERT INTO ine_audit.decision_statuses (status, code, label, category, conclusive) VALUES
    ('approved', 9001, 'Approved', 'positive', true),
    ('declined', 9102, 'Declined', 'negative', true),
    ('resubmission_requested', 9103, 'Resubmission requested', 'pending', false),
    ('expired', 9104, 'Expired (never started)', 'negative', true),
    ('abandoned', 9104, 'Abandoned (started, not finished)', 'negative', true),
    ('review', 9121, 'Sent to manual review', 'pending', false);
