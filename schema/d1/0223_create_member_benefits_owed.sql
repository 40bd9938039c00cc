-- A benefit item (one product of a monthly pack, birthday gift or paid card's pack) the cron could not issue — its
-- product sold out or gone. The period's member_benefits row is written with the rest of the pack; this row keeps
-- the item owed so later cron runs try it again until `until` (the end of the period it belongs to), and its first
-- write raises the brand's alert. Deleted in the batch that appends the issued order to member_benefits.order_ids.
CREATE TABLE member_benefits_owed (
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  period TEXT NOT NULL,
  -- The item's place in the pack: its first order's Idempotency-Key was `<key_base>.<item>`; a retry uses
  -- `<key_base>.<item>.r<attempt + 1>` (a sold-out order cancelled under a key answers sold_out to that key for ever).
  item INTEGER NOT NULL,
  product_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  key_base TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL,
  until TEXT NOT NULL,
  next_at TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, member_id, kind, period, item)
);
CREATE INDEX member_benefits_owed_due ON member_benefits_owed(next_at);
