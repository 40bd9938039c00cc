-- Rows found in ledger_entries past the TenantLedger object's own head that the object did not write (planted in D1):
-- moved here, as they were, when the object next appends, so the chain continues from the object's head and nothing
-- it never wrote is served as provenance or sealed by a checkpoint. Kept as evidence; /ledger/verify lists them.
CREATE TABLE ledger_quarantine (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  public_code TEXT,
  batch TEXT,
  channel TEXT,
  occurred_at TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  quarantined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  object_head_seq INTEGER NOT NULL
);
CREATE INDEX ledger_quarantine_tenant ON ledger_quarantine(tenant_id, quarantined_at);
