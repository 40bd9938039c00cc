-- The coupon flows' windows (expiry reminder: coupons lapsing within N days; revival: coupons expired within N days)
-- read through vouchers_coupon_window, which kept every coupon of the brand in the window, so each cron minute read
-- again all those already reminded or revived (a brand issuing 100,000 coupons a week: ~40,000 rows a minute). Each
-- coupon now carries whether each flow is done with it, set in the same statement batch as the flow's message row (a
-- trigger), and each window reads only the coupons still waiting for its flow.
ALTER TABLE vouchers ADD COLUMN flow_reminded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vouchers ADD COLUMN flow_revived INTEGER NOT NULL DEFAULT 0;

-- Any message row for the trigger (sent, deferred or suppressed) is the flow's one decision for that coupon.
CREATE TRIGGER outreach_messages_mark_voucher AFTER INSERT ON outreach_messages
WHEN NEW.flow IN ('expiry_reminder', 'revive')
BEGIN
  UPDATE vouchers SET flow_reminded = CASE WHEN NEW.flow = 'expiry_reminder' THEN 1 ELSE flow_reminded END,
                      flow_revived = CASE WHEN NEW.flow = 'revive' THEN 1 ELSE flow_revived END
  WHERE tenant_id = NEW.tenant_id AND id = NEW.trigger_key;
END;

UPDATE vouchers SET flow_reminded = 1 WHERE kind = 'coupon'
  AND id IN (SELECT trigger_key FROM outreach_messages WHERE flow = 'expiry_reminder' AND tenant_id = vouchers.tenant_id);
UPDATE vouchers SET flow_revived = 1 WHERE kind = 'coupon'
  AND id IN (SELECT trigger_key FROM outreach_messages WHERE flow = 'revive' AND tenant_id = vouchers.tenant_id);
-- A revival's own coupon is neither reminded (its message named its date) nor revived again.
UPDATE vouchers SET flow_reminded = 1, flow_revived = 1 WHERE kind = 'coupon'
  AND order_id IN (SELECT id FROM orders WHERE source = 'flow:revive' AND tenant_id = vouchers.tenant_id);

CREATE INDEX vouchers_remind_window ON vouchers(tenant_id, valid_to) WHERE kind = 'coupon' AND status = 'issued' AND flow_reminded = 0;
CREATE INDEX vouchers_revive_window ON vouchers(tenant_id, valid_to) WHERE kind = 'coupon' AND status = 'expired' AND flow_revived = 0;
DROP INDEX vouchers_coupon_window;
