-- The redemption dashboard's narrow copy of its events, sorted by voucher (issue 15: no dashboard query grows worse
-- than linearly). Redemption matches every attempt with its voucher's issue; on `events` (sorted by type, then time)
-- that took hash tables of every voucher, which at 100M events (4.9M vouchers) no longer fit the caches: 13× its 10M
-- time. Sorted by (tenant, voucher, time), each voucher's issue and attempts are grouped together, in slices of the
-- voucher keys (analytics/metrics/person-slices.ts): 4,699 → 2,830 ms at 100M (bench/README.md, session 38).
-- kind: 0 issued (vouchers only: card keys and direct recharges are delivered, not redeemed, and are left out),
-- 1 redeemed, 2 redemption failed (an attempt without a voucher id is kept, as the dashboard counts it). Vouchers name no person, so an erasure leaves this table as it is; retention
-- deletes from it along with `events` (analytics/privacy.ts). Like ltv_people (0017) a ReplacingMergeTree on a key
-- holding the event: the backstop for a second writer and for the backfill below meeting a concurrent insert.
CREATE TABLE IF NOT EXISTS redemption_vouchers
(
    tenant_id LowCardinality(String),
    voucher_key UInt64,
    occurred_at DateTime64(3, 'UTC'),
    event_key UInt64,
    kind UInt8,
    campaign_id LowCardinality(String) DEFAULT ''
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, voucher_key, occurred_at, event_key);
CREATE MATERIALIZED VIEW IF NOT EXISTS redemption_vouchers_mv TO redemption_vouchers AS
SELECT tenant_id, cityHash64(voucher_id) AS voucher_key, occurred_at, cityHash64(event_id) AS event_key,
       toUInt8(multiIf(type = 'voucher_issued', 0, type = 'voucher_redeemed', 1, 2)) AS kind, campaign_id
FROM events
WHERE type IN ('voucher_redeemed', 'voucher_redeem_failed')
   OR (type = 'voucher_issued' AND voucher_id != '' AND JSONExtractString(payload, 'kind') NOT IN ('card_key', 'direct_recharge'));
-- The events already held.
INSERT INTO redemption_vouchers
SELECT tenant_id, cityHash64(voucher_id), occurred_at, cityHash64(event_id),
       toUInt8(multiIf(type = 'voucher_issued', 0, type = 'voucher_redeemed', 1, 2)), campaign_id
FROM events
WHERE type IN ('voucher_redeemed', 'voucher_redeem_failed')
   OR (type = 'voucher_issued' AND voucher_id != '' AND JSONExtractString(payload, 'kind') NOT IN ('card_key', 'direct_recharge'));
