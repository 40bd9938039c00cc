-- A lapsed (expired / cancelled) campaign order whose flash-sale unit has been handed back to its campaign: set once
-- the shard answered. The minute cron retries the ones a crash left between the order's commit and that call.
ALTER TABLE orders ADD COLUMN win_returned INTEGER;
-- Orders that lapsed before this column existed were handled by the code of their day.
UPDATE orders SET win_returned = 1 WHERE campaign_id IS NOT NULL AND status IN ('expired', 'cancelled');
CREATE INDEX orders_win_unreturned ON orders (updated_at)
  WHERE win_returned IS NULL AND campaign_id IS NOT NULL AND status IN ('expired', 'cancelled');
