-- The payer's gateway account (Alipay buyer_id / WeChat openid; the sandbox's wallet account), HMAC-hashed: the
-- invite programme refuses an invitee whose first order was paid from the inviter's own account.
ALTER TABLE payments ADD COLUMN payer_hash TEXT;
CREATE INDEX payments_payer ON payments(tenant_id, payer_hash) WHERE payer_hash IS NOT NULL;
