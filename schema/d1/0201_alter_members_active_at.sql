-- A member's last activity for the win-back flow (issue 19): the latest of joining, a paid order with an amount and a
-- check-in — the value the flow used to compute for every member of the brand each minute with two subqueries per
-- member. Kept by triggers in the transaction of whatever moves it, indexed per brand, so the flow reads the members
-- that went dormant since its cursor (outreach_cursors) and nobody else.
ALTER TABLE members ADD COLUMN active_at TEXT;
UPDATE members SET active_at = max(joined_at,
  coalesce((SELECT max(o.paid_at) FROM orders o WHERE o.tenant_id = members.tenant_id AND o.buyer_id = members.buyer_id AND o.amount_cents > 0 AND o.paid_at IS NOT NULL), ''),
  coalesce((SELECT max(c.created_at) FROM member_check_ins c WHERE c.tenant_id = members.tenant_id AND c.member_id = members.id), ''));
CREATE INDEX members_active ON members(tenant_id, active_at, id);

-- Joining (a buyer may have paid before joining) and a changed joined_at: computed in full.
CREATE TRIGGER members_active_on_join AFTER INSERT ON members BEGIN
  UPDATE members SET active_at = max(NEW.joined_at,
    coalesce((SELECT max(o.paid_at) FROM orders o WHERE o.tenant_id = NEW.tenant_id AND o.buyer_id = NEW.buyer_id AND o.amount_cents > 0 AND o.paid_at IS NOT NULL), ''),
    coalesce((SELECT max(c.created_at) FROM member_check_ins c WHERE c.tenant_id = NEW.tenant_id AND c.member_id = NEW.id), ''))
  WHERE id = NEW.id;
END;
CREATE TRIGGER members_active_on_joined_at AFTER UPDATE OF joined_at ON members BEGIN
  UPDATE members SET active_at = max(NEW.joined_at,
    coalesce((SELECT max(o.paid_at) FROM orders o WHERE o.tenant_id = NEW.tenant_id AND o.buyer_id = NEW.buyer_id AND o.amount_cents > 0 AND o.paid_at IS NOT NULL), ''),
    coalesce((SELECT max(c.created_at) FROM member_check_ins c WHERE c.tenant_id = NEW.tenant_id AND c.member_id = NEW.id), ''))
  WHERE id = NEW.id;
END;

-- A paid order with an amount (paid by the notice's UPDATE, or inserted paid) and a check-in: only ever later.
CREATE TRIGGER members_active_on_paid AFTER UPDATE OF paid_at ON orders WHEN NEW.paid_at IS NOT NULL AND NEW.amount_cents > 0 BEGIN
  UPDATE members SET active_at = NEW.paid_at WHERE tenant_id = NEW.tenant_id AND buyer_id = NEW.buyer_id AND active_at < NEW.paid_at;
END;
CREATE TRIGGER members_active_on_paid_insert AFTER INSERT ON orders WHEN NEW.paid_at IS NOT NULL AND NEW.amount_cents > 0 BEGIN
  UPDATE members SET active_at = NEW.paid_at WHERE tenant_id = NEW.tenant_id AND buyer_id = NEW.buyer_id AND active_at < NEW.paid_at;
END;
CREATE TRIGGER members_active_on_check_in AFTER INSERT ON member_check_ins BEGIN
  UPDATE members SET active_at = NEW.created_at WHERE id = NEW.member_id AND active_at < NEW.created_at;
END;

-- Birthday members of a month, in order.
CREATE INDEX members_birthday ON members(tenant_id, birthday, id);

-- How far a lifecycle flow has walked its candidates: (at, id) of the last one handled, for one period ('' for
-- win-back, whose candidates are ordered by active_at; YYYY-MM for birthdays, ordered by birthday). Only moves forward.
CREATE TABLE outreach_cursors (
  tenant_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  period TEXT NOT NULL,
  at TEXT NOT NULL,
  id TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, flow)
);
