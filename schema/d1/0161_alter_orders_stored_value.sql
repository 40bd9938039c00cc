-- The part of an order's amount paid from the buyer's stored-value balance (debited in the order's own batch); the
-- gateway is charged amount_cents - stored_value_cents.
ALTER TABLE orders ADD COLUMN stored_value_cents INTEGER NOT NULL DEFAULT 0;
