-- Card-key stock per product, kept by triggers on card_keys. Every storefront read of a product and every order's
-- low-stock check needs the count of keys left, and counting the keys themselves reads one row per key: ~90 ms per
-- product read at 100k keys, on the one database every visitor shares. The triggers keep the count exact whichever
-- statement moves a key (import, reserve, release, deliver, void, delete), inside that statement's transaction.
CREATE TABLE card_key_stock (
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  status TEXT NOT NULL,
  reusable INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, product_id, status, reusable)
) WITHOUT ROWID;

INSERT INTO card_key_stock (tenant_id, product_id, status, reusable, n)
  SELECT tenant_id, product_id, status, reusable, COUNT(*) FROM card_keys WHERE true GROUP BY tenant_id, product_id, status, reusable;

CREATE TRIGGER card_key_stock_insert AFTER INSERT ON card_keys
BEGIN
  INSERT INTO card_key_stock (tenant_id, product_id, status, reusable, n) VALUES (NEW.tenant_id, NEW.product_id, NEW.status, NEW.reusable, 1)
    ON CONFLICT (tenant_id, product_id, status, reusable) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER card_key_stock_delete AFTER DELETE ON card_keys
BEGIN
  UPDATE card_key_stock SET n = n - 1
   WHERE tenant_id = OLD.tenant_id AND product_id = OLD.product_id AND status = OLD.status AND reusable = OLD.reusable;
END;

CREATE TRIGGER card_key_stock_update AFTER UPDATE OF tenant_id, product_id, status, reusable ON card_keys
WHEN NEW.tenant_id IS NOT OLD.tenant_id OR NEW.product_id IS NOT OLD.product_id OR NEW.status IS NOT OLD.status OR NEW.reusable IS NOT OLD.reusable
BEGIN
  UPDATE card_key_stock SET n = n - 1
   WHERE tenant_id = OLD.tenant_id AND product_id = OLD.product_id AND status = OLD.status AND reusable = OLD.reusable;
  INSERT INTO card_key_stock (tenant_id, product_id, status, reusable, n) VALUES (NEW.tenant_id, NEW.product_id, NEW.status, NEW.reusable, 1)
    ON CONFLICT (tenant_id, product_id, status, reusable) DO UPDATE SET n = n + 1;
END;

-- Picking a key filters on reusable too; with it in the index a loop-key lookup no longer walks every available key.
DROP INDEX card_keys_pick;
CREATE INDEX card_keys_pick ON card_keys(tenant_id, product_id, status, reusable);
