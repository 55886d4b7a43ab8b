-- Decision codes (9xxx) and session event codes (7xxx).
CREATE TABLE IF NOT EXISTS ine_audit.status_codes
(
    code UInt16,
    label String,
    channel LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY code;

INSERT INTO ine_audit.status_codes (code, label, channel) VALUES
    (7001, 'Started', 'event'),
    (7002, 'Submitted', 'event'),
    (9001, 'Approved', 'decision'),
    (9102, 'Declined', 'decision'),
    (9103, 'Resubmission requested', 'decision'),
    (9104, 'Expired or abandoned', 'decision'),
    (9121, 'Review', 'decision');
