-- Cron sweeps that read a whole table every minute, whatever was due (found by EXPLAIN QUERY PLAN over every
-- statement the worker tests prepare; test/worker/cron-rows-read-integration.test.ts measures them). Each now reads
-- only what is due, through an index on the column it tests, or a partial index holding just the rows waiting.
-- Risk state pruned by age: decisions older than 90 days, spent challenge nonces past their puzzle's expiry.
CREATE INDEX risk_decisions_age ON risk_decisions(created_at);
CREATE INDEX challenge_spent_expiry ON challenge_spent(expires_at);
-- Blocks that expired a day ago (most blocks never expire: they are not in this index).
CREATE INDEX block_entries_expiry ON block_entries(expires_at) WHERE expires_at IS NOT NULL;
-- Supplier callback nonces kept for a day against replays.
CREATE INDEX supplier_callback_nonces_age ON supplier_callback_nonces(seen_at);
-- Rewards a crash left unissued: reached assists without their reward order, qualified invites (a moment each).
CREATE INDEX assist_requests_unrewarded ON assist_requests(tenant_id) WHERE status = 'reached' AND reward_order_id IS NULL;
CREATE INDEX invites_qualified ON invites(tenant_id) WHERE status = 'qualified';

-- Points exchanges to give back: 'placed' ones a crash left (a moment each), and 'ordered' ones whose order was
-- refunded, cancelled or expired. The second half joined every 'ordered' exchange ever made to its order each minute;
-- `return_due` marks the ones whose order went that way (set by the triggers below, whichever of the two moves comes
-- last), so both halves read a partial index of what is waiting. The sweep still checks the order's status itself.
ALTER TABLE mall_exchanges ADD COLUMN return_due INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER mall_exchanges_due_on_order AFTER UPDATE OF status ON orders
WHEN NEW.status IN ('refunded', 'cancelled', 'expired') AND NEW.source LIKE 'mall:%' BEGIN
  UPDATE mall_exchanges SET return_due = 1 WHERE tenant_id = NEW.tenant_id AND order_id = NEW.id AND return_due = 0;
END;
CREATE TRIGGER mall_exchanges_due_on_ordered AFTER UPDATE OF status ON mall_exchanges
WHEN NEW.status = 'ordered' AND NEW.return_due = 0 BEGIN
  UPDATE mall_exchanges SET return_due = 1 WHERE id = NEW.id
    AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = NEW.tenant_id AND o.id = NEW.order_id AND o.status IN ('refunded', 'cancelled', 'expired'));
END;
UPDATE mall_exchanges SET return_due = 1 WHERE status = 'ordered'
  AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = mall_exchanges.tenant_id AND o.id = mall_exchanges.order_id AND o.status IN ('refunded', 'cancelled', 'expired'));
CREATE INDEX mall_exchanges_placed ON mall_exchanges(created_at) WHERE status = 'placed';
CREATE INDEX mall_exchanges_return_due ON mall_exchanges(created_at) WHERE status = 'ordered' AND return_due = 1;
