-- The per-tenant secret brands sign member tokens with, sealed (AES-GCM, CARD_KEY_ENCRYPTION_KEY) like webhook
-- secrets. A rotation keeps the previous secret valid until previous_until.
CREATE TABLE member_token_secrets (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  secret_sealed TEXT NOT NULL,
  previous_sealed TEXT,
  previous_until TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
