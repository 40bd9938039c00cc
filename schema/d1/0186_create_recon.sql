-- Daily reconciliation (issue 21 item 2). One run per (tenant, source, day): source = payment:<provider> or
-- supplier:<supplier id>, day = YYYY-MM-DD China time. A rerun replaces the run's totals and its open items; items
-- an operator resolved keep their note. totals: the matcher's JSON (worker/domain/reconcile.ts ReconTotals).
CREATE TABLE recon_runs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  source TEXT NOT NULL,
  day TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('cron', 'api', 'upload')),
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  error TEXT,
  totals TEXT NOT NULL DEFAULT '{}',
  matched INTEGER NOT NULL DEFAULT 0,
  open_items INTEGER NOT NULL DEFAULT 0,
  runs INTEGER NOT NULL DEFAULT 1,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  UNIQUE (tenant_id, source, day)
);
CREATE INDEX recon_runs_day ON recon_runs(tenant_id, day DESC);

CREATE TABLE recon_items (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES recon_runs(id),
  kind TEXT NOT NULL CHECK (kind IN ('missing_ours', 'missing_theirs', 'amount_mismatch', 'duplicate_ours', 'duplicate_theirs')),
  side TEXT NOT NULL,
  ref TEXT NOT NULL,
  external_ref TEXT,
  our_cents INTEGER,
  their_cents INTEGER,
  detail TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  note TEXT,
  resolved_by TEXT,
  resolved_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (run_id, kind, side, ref)
);
CREATE INDEX recon_items_run ON recon_items(tenant_id, run_id, status);

-- The cron reconciles the previous day once: the first tick to claim the day does it.
CREATE TABLE recon_cron_days (
  day TEXT PRIMARY KEY,
  claimed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
