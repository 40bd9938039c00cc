-- Raw events, one row per envelope. ReplacingMergeTree keyed on the immutable (tenant, time, event_id):
-- a redelivered event has the same key, so merges collapse it; the ingest path also skips known ids.
CREATE TABLE IF NOT EXISTS events
(
    event_id String,
    tenant_id LowCardinality(String),
    type LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    user_id String DEFAULT '',
    device_id String DEFAULT '',
    api_key_id String DEFAULT '',
    referrer_id String DEFAULT '',
    campaign_id String DEFAULT '',
    product_id String DEFAULT '',
    order_id String DEFAULT '',
    amount_cents Int64 DEFAULT 0,
    payload String DEFAULT '{}',
    v UInt8 DEFAULT 1,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_type type TYPE set(64) GRANULARITY 4,
    INDEX idx_event_id event_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, occurred_at, event_id);
