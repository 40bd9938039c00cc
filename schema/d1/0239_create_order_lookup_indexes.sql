-- An order's own payments and coupons, found by the order, not by walking the brand's. Without statistics SQLite
-- planned these look-ups on an index with tenant_id first and the brand's rows in time order:
-- * an order's latest charge (`… AND kind = 'charge' ORDER BY created_at DESC LIMIT 1`, read by every payment
--   callback and every buyer's order read) went down payments_export (tenant_id, created_at) newest first until it met
--   the order's: bench:orders read 272 rows per look-up after 1,000 orders, and a brand with a million payments would
--   read up to a million to settle an old order. With created_at after the equality columns, one index answers both.
-- * an order's applied coupons (paying, cancelling or refunding an order with coupons; its detail) went down
--   order_coupons_tenant (tenant_id, coupon_product_id): every coupon the brand ever applied.
-- A list of an order's payments in time order (`ORDER BY +created_at, id`, db/order-console.ts, db/payments.ts) keeps
-- the planner off payments_export the same way; so do an order's first voucher (`ORDER BY +issued_at`) and its reserved
-- keys by product (`GROUP BY +product_id`, db/orders.ts takenByOrder: it walked card_keys_pick, the brand's whole stock). test/worker/order-lookups-integration.test.ts counts the rows read.
CREATE INDEX payments_order_latest ON payments(tenant_id, order_id, kind, created_at);
DROP INDEX payments_order;
CREATE INDEX order_coupons_order ON order_coupons(tenant_id, order_id, state);
