-- Revenue-share agreements (issue 21 item 5): a selling tenant (a 卡盟) and the brand issuing one product's rights.
-- issuer_key is 'tenant:<id>' or 'external:<id>'; the issuer accepts (its admin key, or the one-time token an external
-- issuer is handed, stored hashed) and until then nothing settles. Share: basis points of net revenue or a unit cost.
CREATE TABLE settlement_agreements (
  id TEXT PRIMARY KEY,
  seller_tenant_id TEXT NOT NULL REFERENCES tenants(id),
  product_id TEXT NOT NULL,
  issuer_kind TEXT NOT NULL CHECK (issuer_kind IN ('tenant', 'external')),
  issuer_id TEXT NOT NULL,
  issuer_name TEXT NOT NULL,
  issuer_key TEXT NOT NULL,
  share_kind TEXT NOT NULL CHECK (share_kind IN ('bps', 'per_unit')),
  share_bps INTEGER,
  unit_cost_cents INTEGER,
  period_kind TEXT NOT NULL CHECK (period_kind IN ('month', 'week')),
  effective_from TEXT NOT NULL,
  effective_to TEXT,
  status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted', 'rejected')),
  accept_token_hash TEXT,
  proposed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  decided_at TEXT
);
CREATE INDEX settlement_agreements_seller ON settlement_agreements(seller_tenant_id, product_id);
CREATE INDEX settlement_agreements_issuer ON settlement_agreements(issuer_key, status);
