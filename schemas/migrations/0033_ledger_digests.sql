-- One signed digest per sealed interval, hash-linked to the one before. Exactly one per interval:
-- every insert carries the token ledger-digest:<interval start>, and the deduplication window makes
-- ClickHouse drop a second digest for the same interval, whoever wrote it.
CREATE TABLE IF NOT EXISTS ine_audit.ledger_digests
(
    seq UInt64,
    interval_start DateTime64(3, 'UTC'),
    interval_end DateTime64(3, 'UTC'),
    leaf_count UInt64,
    merkle_root String,
    previous_digest_hash String,
    sealed_at DateTime64(3, 'UTC'),
    key_id String,
    digest_hash String,
    signature String,
    seal_id String
)
ENGINE = MergeTree
ORDER BY interval_start
SETTINGS non_replicated_deduplication_window = 100000
