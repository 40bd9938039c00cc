-- Issue 21 item 4: orders and after-sale in the console.
-- The product as it was sold: written in the order's own transaction (services/orders.ts placeStmts), so a later
-- edit of the product (name, price, tutorial) never changes what an order says was bought. Older orders have none
-- and fall back to the product as it is now.
CREATE TABLE order_snapshots (
  order_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  currency TEXT NOT NULL,
  validity TEXT,            -- JSON (schema/catalog.ts Validity) or NULL
  tutorial TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The console's order list: newest first per tenant (keyset on created_at, id; orders_export of 0110 serves the
-- unfiltered list), filtered by status / product.
CREATE INDEX orders_console_status ON orders(tenant_id, status, created_at DESC, id DESC);
CREATE INDEX orders_console_product ON orders(tenant_id, product_id, created_at DESC, id DESC);

-- After-sale tickets (售后工单) a buyer opens on one of their orders. One open ticket per order at a time.
-- SLA: first_response_due / resolution_due set at opening; the cron raises an alert once per missed deadline.
CREATE TABLE after_sale_tickets (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('key_invalid', 'not_received', 'wrong_account', 'other')),
  body TEXT NOT NULL,
  contact TEXT,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'rejected')),
  resolution TEXT CHECK (resolution IN ('replace', 'refund', 'compensate', 'reject')),
  resolution_note TEXT,
  resolution_ref TEXT,      -- the replacement voucher, the refund payment or the coupon voucher
  resolved_by TEXT,         -- API key id
  first_response_due TEXT NOT NULL,
  resolution_due TEXT NOT NULL,
  first_responded_at TEXT,
  response_alerted_at TEXT,
  resolution_alerted_at TEXT,
  resolved_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX after_sale_one_open ON after_sale_tickets(tenant_id, order_id) WHERE status = 'open';
CREATE INDEX after_sale_list ON after_sale_tickets(tenant_id, status, created_at DESC, id DESC);
CREATE INDEX after_sale_order ON after_sale_tickets(tenant_id, order_id);
CREATE INDEX after_sale_sla ON after_sale_tickets(status, resolution_due) WHERE status = 'open';

CREATE TABLE after_sale_messages (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  author TEXT NOT NULL CHECK (author IN ('buyer', 'operator')),
  body TEXT NOT NULL,
  api_key_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX after_sale_messages_ticket ON after_sale_messages(tenant_id, ticket_id, created_at);

-- Service notices to a buyer (delivery, ticket reply, resolution): one row per (tenant, key), so a redelivered
-- event or a retried request never sends twice.
CREATE TABLE buyer_notices (
  tenant_id TEXT NOT NULL,
  notice_key TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  order_id TEXT,
  channel TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, notice_key)
);
