-- When the cron looks at an open erasure again (worker/services/erasure.ts). Before, it took the 20 oldest open
-- requests every minute: 20 whose buyer kept an order moving (a paid group-buy seat waiting for its team, a recharge a
-- supplier is still working on) held every later request back, and a scrubbed one was re-keyed in the warehouse every
-- minute of its settle time. Now a request waits for its next_at, and the oldest due goes first.
ALTER TABLE erasure_requests ADD COLUMN next_at TEXT;
UPDATE erasure_requests SET next_at = requested_at WHERE status != 'completed';
DROP INDEX erasure_requests_open;
CREATE INDEX erasure_requests_due ON erasure_requests(next_at) WHERE status != 'completed';
