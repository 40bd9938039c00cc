-- The invite cron's safety net (services/invites.ts reverseRefundedInvites) looked for qualified or rewarded invites
-- whose first order is refunded by reading every rewarded invite ever made, each minute. As 0221 does for points and
-- task rewards, the order's refund marks the invite (`reverse_due`), and the sweep reads a partial index of just
-- those; an invite leaves it when its status moves on (reversed). The take-back still checks the order itself.
ALTER TABLE invites ADD COLUMN reverse_due INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER invites_reverse_due_on_refund AFTER UPDATE OF status ON orders WHEN NEW.status = 'refunded' BEGIN
  UPDATE invites SET reverse_due = 1 WHERE tenant_id = NEW.tenant_id AND first_order_id = NEW.id AND status IN ('qualified', 'rewarded');
END;
-- An invite that qualifies on an order already refunded (the two crossed).
CREATE TRIGGER invites_reverse_due_on_qualify AFTER UPDATE OF first_order_id ON invites WHEN NEW.first_order_id IS NOT NULL BEGIN
  UPDATE invites SET reverse_due = 1 WHERE id = NEW.id AND reverse_due = 0
    AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = NEW.tenant_id AND o.id = NEW.first_order_id AND o.status = 'refunded');
END;

UPDATE invites SET reverse_due = 1 WHERE status IN ('qualified', 'rewarded') AND first_order_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = invites.tenant_id AND o.id = invites.first_order_id AND o.status = 'refunded');

CREATE INDEX invites_reverse_due ON invites(tenant_id) WHERE reverse_due = 1 AND status IN ('qualified', 'rewarded');
