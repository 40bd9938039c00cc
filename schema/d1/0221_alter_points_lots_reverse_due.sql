-- The points cron's safety net for refunds (services/points-expiry.ts) read every refunded order ever made each minute,
-- twice: once for points an order earned that were not taken back, once for first-purchase task rewards. Both are
-- a moment's work after a crash between a refund and its take-back. `reverse_due` marks just those rows (set by the
-- triggers below when the order turns refunded, whichever comes last), so each sweep reads a partial index of what
-- is waiting, as mall_exchanges.return_due does (0206). The take-backs still check the order's status themselves.
ALTER TABLE points_lots ADD COLUMN reverse_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE member_task_completions ADD COLUMN reverse_due INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER reversals_due_on_refund AFTER UPDATE OF status ON orders WHEN NEW.status = 'refunded' BEGIN
  UPDATE points_lots SET reverse_due = 1 WHERE tenant_id = NEW.tenant_id AND source_kind = 'order' AND source_id = NEW.id AND reverse_due = 0
    AND NOT EXISTS (SELECT 1 FROM points_movements p WHERE p.tenant_id = NEW.tenant_id AND p.member_id = points_lots.member_id
                    AND p.kind = 'reverse' AND p.source_kind = 'order' AND p.source_id = NEW.id);
  UPDATE member_task_completions SET reverse_due = 1 WHERE tenant_id = NEW.tenant_id AND order_id = NEW.id AND reversed_at IS NULL;
END;
-- Points earned by an order already refunded (the earn and the refund crossed).
CREATE TRIGGER reversals_due_on_lot AFTER INSERT ON points_lots WHEN NEW.source_kind = 'order' BEGIN
  UPDATE points_lots SET reverse_due = 1 WHERE id = NEW.id
    AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = NEW.tenant_id AND o.id = NEW.source_id AND o.status = 'refunded')
    AND NOT EXISTS (SELECT 1 FROM points_movements p WHERE p.tenant_id = NEW.tenant_id AND p.member_id = NEW.member_id
                    AND p.kind = 'reverse' AND p.source_kind = 'order' AND p.source_id = NEW.source_id);
END;
-- Taken back: no longer waiting (a completion leaves its index by reversed_at).
CREATE TRIGGER reversals_done_on_reverse AFTER INSERT ON points_movements WHEN NEW.kind = 'reverse' AND NEW.source_kind = 'order' BEGIN
  UPDATE points_lots SET reverse_due = 0 WHERE tenant_id = NEW.tenant_id AND source_kind = 'order' AND source_id = NEW.source_id AND member_id = NEW.member_id AND reverse_due = 1;
END;

UPDATE points_lots SET reverse_due = 1 WHERE source_kind = 'order'
  AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = points_lots.tenant_id AND o.id = points_lots.source_id AND o.status = 'refunded')
  AND NOT EXISTS (SELECT 1 FROM points_movements p WHERE p.tenant_id = points_lots.tenant_id AND p.member_id = points_lots.member_id
                  AND p.kind = 'reverse' AND p.source_kind = 'order' AND p.source_id = points_lots.source_id);
UPDATE member_task_completions SET reverse_due = 1 WHERE order_id IS NOT NULL AND reversed_at IS NULL
  AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = member_task_completions.tenant_id AND o.id = member_task_completions.order_id AND o.status = 'refunded');

CREATE INDEX points_lots_reverse_due ON points_lots(tenant_id, source_id) WHERE reverse_due = 1;
CREATE INDEX member_task_completions_reverse_due ON member_task_completions(tenant_id, order_id) WHERE reverse_due = 1 AND reversed_at IS NULL;
