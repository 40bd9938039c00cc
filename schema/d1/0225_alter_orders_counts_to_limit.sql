-- Whether an order uses up its buyer's per-buyer purchase limit (限购) for the product. A benefit or reward the brand
-- gives (a member's monthly pack, birthday gift or paid card gift; an assist or invite reward: orders placed with
-- purchaseLimit false) is not refused by the limit, and from now on does not count toward it either: a member given
-- the pack product can still buy it up to the limit.
ALTER TABLE orders ADD COLUMN counts_to_limit INTEGER NOT NULL DEFAULT 1;

-- Those given before: their sources (services/member-cron.ts member:<kind>, assists.ts assist:<id>, invites.ts invite:<id>).
UPDATE orders SET counts_to_limit = 0 WHERE source LIKE 'member:%' OR source LIKE 'assist:%' OR source LIKE 'invite:%';
