-- 撤销核销 (worker/services/redemption-reversal.ts): a store undoes a redemption made by mistake, and the voucher may be
-- redeemed again. The redemption dashboard's copy of its events (0018) now keeps the reversal too, as kind 3, so the
-- metric (analytics/metrics/redemption.ts) takes it off: a voucher counts as redeemed while its redemptions outnumber
-- its reversals, and a reversal takes its success off the attempts of the range it is in.
-- The type is new, so no event held before this file is one: replacing the view is all there is to do, and a re-run
-- after a crash is harmless (DROP … IF EXISTS, CREATE … IF NOT EXISTS).
DROP VIEW IF EXISTS redemption_vouchers_mv;
CREATE MATERIALIZED VIEW IF NOT EXISTS redemption_vouchers_mv TO redemption_vouchers AS
SELECT tenant_id, cityHash64(voucher_id) AS voucher_key, occurred_at, cityHash64(event_id) AS event_key,
       toUInt8(multiIf(type = 'voucher_issued', 0, type = 'voucher_redeemed', 1, type = 'voucher_redemption_reversed', 3, 2)) AS kind, campaign_id
FROM events
WHERE type IN ('voucher_redeemed', 'voucher_redeem_failed', 'voucher_redemption_reversed')
   OR (type = 'voucher_issued' AND voucher_id != '' AND JSONExtractString(payload, 'kind') NOT IN ('card_key', 'direct_recharge'));
