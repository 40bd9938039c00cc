-- LTV reads each person's payments and refunds as one signed sum again (0019 made it match every whole refund against
-- the person's partial refunds per order: 2x LTV's time at 10M events, bench/README.md session 62). The last of a
-- refund made in parts now says so (order_refunded.inParts, worker/services/partial-refunds.ts): its whole amount was
-- already counted by the parts, so it is not copied here. The whole refunds held that closed parts go (0019 stored
-- their order, so they are found by it).
DROP VIEW IF EXISTS ltv_people_mv;
CREATE MATERIALIZED VIEW IF NOT EXISTS ltv_people_mv TO ltv_people AS
SELECT tenant_id, cityHash64(user_id) AS user_key, occurred_at, cityHash64(event_id) AS event_key,
       toUInt8(multiIf(type = 'user_signed_up', 0, type = 'order_paid', 1, type = 'order_refunded', 2, 3)) AS kind,
       multiIf(type = 'order_paid', amount_cents, type = 'user_signed_up', 0, -amount_cents) AS amount_cents,
       if(type = 'user_signed_up', acquisition_campaign_id, '') AS acquisition_campaign_id,
       if(type IN ('order_refunded', 'order_partially_refunded'), cityHash64(order_id), 0) AS order_key
FROM events
WHERE type IN ('user_signed_up', 'order_paid', 'order_refunded', 'order_partially_refunded') AND user_id != ''
  AND NOT (type = 'order_refunded' AND JSONExtractBool(payload, 'inParts'));
DELETE FROM ltv_people WHERE kind = 2 AND (tenant_id, order_key) IN (SELECT tenant_id, order_key FROM ltv_people WHERE kind = 3);
