-- One brand's coupons by end of validity, for the lifecycle flows' windows (coupons lapsing in N days, coupons expired
-- within N days). Without it each brand's cron minute read every brand's coupons in the window through
-- vouchers_expiry (status, valid_to). Partial (coupons only) and without status, so statements that find a holder's
-- or an order's vouchers keep their two-term indexes; the flows' statements write `+v.status` to leave vouchers_expiry.
CREATE INDEX vouchers_coupon_window ON vouchers(tenant_id, valid_to) WHERE kind = 'coupon';
