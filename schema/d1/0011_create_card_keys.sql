-- Card-key inventory. The key itself is AES-GCM encrypted (secret_enc = base64url(iv || ciphertext)); secret_hash is
-- an HMAC used to refuse duplicates without decrypting. Reusable ("loop") keys stay 'available' and are delivered
-- to many buyers; one-shot keys go available -> reserved (order_id, reserved_until) -> delivered.
CREATE TABLE card_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  secret_enc TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  reusable INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'reserved', 'delivered', 'voided')),
  order_id TEXT,
  reserved_until TEXT,
  delivered_at TEXT,
  batch_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, secret_hash)
);
CREATE INDEX card_keys_pick ON card_keys(tenant_id, product_id, status);
CREATE INDEX card_keys_order ON card_keys(tenant_id, order_id);
CREATE INDEX card_keys_expiry ON card_keys(status, reserved_until);
