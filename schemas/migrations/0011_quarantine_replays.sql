-- Outcome of `npm run replay -- --quarantined` per quarantined delivery; the latest attempt wins.
CREATE TABLE IF NOT EXISTS ine_audit.quarantine_replays
(
    delivery_id String,
    replayed_at DateTime64(3, 'UTC'),
    outcome LowCardinality(String),
    errors Array(Tuple(path String, message String))
)
ENGINE = ReplacingMergeTree(replayed_at)
ORDER BY delivery_id
