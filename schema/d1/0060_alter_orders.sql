-- Delivery of a paid order is driven to completion by the minute cron (services/delivery-jobs.ts), so a crash between
-- the payment and the delivery strands nothing. The payment's own transaction sets next_delivery_at (a lease for the
-- in-request attempt); whoever takes the order later moves it forward first, so two runners never work on it at once.
ALTER TABLE orders ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN next_delivery_at TEXT;
ALTER TABLE orders ADD COLUMN stuck_alerted_at TEXT;
CREATE INDEX orders_delivery_due ON orders(status, next_delivery_at);
-- Orders already stranded before this migration are picked up by the first cron run.
UPDATE orders SET next_delivery_at = COALESCE(paid_at, updated_at) WHERE status = 'paid';
