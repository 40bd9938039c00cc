-- Provenance ledger: per-tenant, append-only, hash-chained. Only the tenant's TenantLedger Durable Object appends,
-- one entry at a time, so a chain never forks. hash = SHA-256 of the canonical entry incl. prev_hash
-- (worker/domain/ledger.ts). Rows are never updated or deleted; scripts/verify-ledger.ts finds any that were.
CREATE TABLE ledger_entries (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL, -- issuance | delivery | redemption | void | refund | expiry | compensation
  subject_id TEXT NOT NULL, -- voucher id
  public_code TEXT, -- the voucher's public verification code (never its secret)
  batch TEXT,
  channel TEXT, -- supply channel
  occurred_at TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}', -- canonical JSON, no secrets
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  dedupe_key TEXT NOT NULL, -- one entry per business fact, so retries never append twice
  PRIMARY KEY (tenant_id, seq)
);
CREATE UNIQUE INDEX ledger_entries_dedupe ON ledger_entries(tenant_id, dedupe_key);
CREATE INDEX ledger_entries_subject ON ledger_entries(tenant_id, subject_id, seq);
CREATE INDEX ledger_entries_public_code ON ledger_entries(public_code, seq);

-- Published checkpoints: head hash and Merkle root of the entries seq_from..seq_to.
CREATE TABLE ledger_checkpoints (
  tenant_id TEXT NOT NULL,
  seq_from INTEGER NOT NULL,
  seq_to INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  merkle_root TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, seq_to)
);
