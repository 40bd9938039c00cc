-- LTV's narrow copy of its events, sorted by person (issue 15: no dashboard query grows worse than linearly).
-- LTV groups a cohort's sign-ups with their payments and refunds by person. On `events` (sorted by type, then time)
-- that is one hash table of every person: at 100M events / 10M people it no longer fits the caches and LTV took
-- 11.4× its 10M time. Sorted by (tenant, person, time), LTV reads a tenant's people in slices of the person keys
-- (analytics/metrics/person-slices.ts), each slice only its range; and at 10M it reads ~1.2M narrow rows with the
-- person's key already hashed (bench/README.md, session 38).
-- kind: 0 sign-up, 1 paid, 2 refunded. amount_cents is signed: paid +, refunded −, a sign-up 0.
-- The ingest path writes each event once; like `events`, the table is a ReplacingMergeTree on a key holding the event,
-- the backstop for a second writer, for the backfill below meeting a concurrent insert, and for an erasure rerun.
-- Erasure and retention change this table along with `events` (analytics/privacy.ts).
CREATE TABLE IF NOT EXISTS ltv_people
(
    tenant_id LowCardinality(String),
    user_key UInt64,
    occurred_at DateTime64(3, 'UTC'),
    event_key UInt64,
    kind UInt8,
    amount_cents Int64,
    acquisition_campaign_id String DEFAULT ''
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, user_key, occurred_at, event_key);
CREATE MATERIALIZED VIEW IF NOT EXISTS ltv_people_mv TO ltv_people AS
SELECT tenant_id, cityHash64(user_id) AS user_key, occurred_at, cityHash64(event_id) AS event_key,
       toUInt8(multiIf(type = 'user_signed_up', 0, type = 'order_paid', 1, 2)) AS kind,
       multiIf(type = 'order_paid', amount_cents, type = 'order_refunded', -amount_cents, 0) AS amount_cents,
       if(type = 'user_signed_up', acquisition_campaign_id, '') AS acquisition_campaign_id
FROM events
WHERE type IN ('user_signed_up', 'order_paid', 'order_refunded') AND user_id != '';
-- The events already held.
INSERT INTO ltv_people
SELECT tenant_id, cityHash64(user_id), occurred_at, cityHash64(event_id),
       toUInt8(multiIf(type = 'user_signed_up', 0, type = 'order_paid', 1, 2)),
       multiIf(type = 'order_paid', amount_cents, type = 'order_refunded', -amount_cents, 0),
       if(type = 'user_signed_up', acquisition_campaign_id, '')
FROM events
WHERE type IN ('user_signed_up', 'order_paid', 'order_refunded') AND user_id != '';
