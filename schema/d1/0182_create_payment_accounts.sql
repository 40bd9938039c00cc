-- A brand's own merchant account at a payment gateway (issue 21). config_enc: the provider's credentials as JSON,
-- AES-256-GCM under CARD_KEY_ENCRYPTION_KEY (worker/domain/secret-box.ts); never returned by the API.
CREATE TABLE payment_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  provider TEXT NOT NULL CHECK (provider IN ('wechatpay', 'alipay')),
  merchant_id TEXT NOT NULL,
  gateway_url TEXT NOT NULL,
  config_enc TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, provider)
);

-- Refunds are asked of the gateway under our refund id and may finish later (WeChat: PROCESSING → SUCCESS): the
-- refund row is written pending before the gateway is asked, and completed by its notice or the cron's query.
ALTER TABLE payments ADD COLUMN reason TEXT;
ALTER TABLE payments ADD COLUMN refund_of TEXT;
CREATE INDEX payments_pending_refunds ON payments(status, kind) WHERE status = 'pending' AND kind = 'refund';
