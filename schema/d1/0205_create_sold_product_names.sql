-- The console's order search by product text (`s.name LIKE '%…%' OR p.name LIKE '%…%'`) walked the brand's orders
-- newest first until a page matched: every order when nothing or something rare matched. The names a product was
-- sold under (its snapshots' names, a handful per product) are kept here, so the search first finds the few products
-- the text can match (these names and the products' current names), then reads each one's orders through
-- orders_console_product. Filled by a trigger in the snapshot's own transaction; a superset is harmless (the search
-- still applies its own test to every order).
CREATE TABLE sold_product_names (
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (tenant_id, product_id, name)
) WITHOUT ROWID;

CREATE TRIGGER sold_product_names_on_snapshot AFTER INSERT ON order_snapshots BEGIN
  INSERT OR IGNORE INTO sold_product_names (tenant_id, product_id, name) VALUES (NEW.tenant_id, NEW.product_id, NEW.name);
END;

INSERT OR IGNORE INTO sold_product_names (tenant_id, product_id, name) SELECT DISTINCT tenant_id, product_id, name FROM order_snapshots;
