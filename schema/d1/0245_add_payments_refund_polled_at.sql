-- When the minute cron last asked the gateway about a pending refund (worker/services/refunds.ts pollPendingRefunds).
-- It took the 50 oldest pending refunds every minute: with more than 50 that the gateway keeps processing (WeChat Pay
-- takes days for some bank cards), later refunds were never asked about and settled only if their notice came. Now each
-- one asked goes to the back, the longest unasked first.
ALTER TABLE payments ADD COLUMN polled_at TEXT;
DROP INDEX payments_pending_refunds;
CREATE INDEX payments_pending_refunds ON payments(COALESCE(polled_at, created_at)) WHERE status = 'pending' AND kind = 'refund';
