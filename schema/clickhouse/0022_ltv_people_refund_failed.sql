-- A refund recorded as made that the gateway then refused (it answered "processing" first) is answered by
-- order_refund_failed (worker/services/refund-reversal.ts): the money did not go back, so LTV counts it again.
-- New: kind 4 = a refused refund (amount +), matched to nothing (its order's refund rows stay; the sum nets out).
DROP VIEW IF EXISTS ltv_people_mv;
CREATE MATERIALIZED VIEW IF NOT EXISTS ltv_people_mv TO ltv_people AS
SELECT tenant_id, cityHash64(user_id) AS user_key, occurred_at, cityHash64(event_id) AS event_key,
       toUInt8(multiIf(type = 'user_signed_up', 0, type = 'order_paid', 1, type = 'order_refunded', 2, type = 'order_refund_failed', 4, 3)) AS kind,
       multiIf(type IN ('order_paid', 'order_refund_failed'), amount_cents, type = 'user_signed_up', 0, -amount_cents) AS amount_cents,
       if(type = 'user_signed_up', acquisition_campaign_id, '') AS acquisition_campaign_id,
       if(type IN ('order_refunded', 'order_partially_refunded'), cityHash64(order_id), 0) AS order_key
FROM events
WHERE type IN ('user_signed_up', 'order_paid', 'order_refunded', 'order_partially_refunded', 'order_refund_failed') AND user_id != ''
  AND NOT (type = 'order_refunded' AND JSONExtractBool(payload, 'inParts'));
