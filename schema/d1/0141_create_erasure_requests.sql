-- Account erasure requests (PIPL): recorded when the buyer asks; the cron (worker/services/erasure.ts) pseudonymises
-- D1 ('scrubbed'), re-keys the warehouse and records completion ('completed', event erasure_completed).
-- buyer_id, subject_ids and device_ids hold the old ids only until completion; then buyer_id becomes the pseudonym and
-- the lists are emptied, so this record of the erasure links to no one.
CREATE TABLE erasure_requests (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  buyer_id TEXT NOT NULL,
  pseudonym TEXT NOT NULL,
  subject_ids TEXT NOT NULL DEFAULT '[]', -- JSON: the buyer and its merged guests, from the scrub until completion
  device_ids TEXT NOT NULL DEFAULT '[]', -- JSON: their device ids, blanked on warehouse events, kept only until completion
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'scrubbed', 'completed')),
  requested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  scrubbed_at TEXT,
  completed_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX erasure_requests_open ON erasure_requests(status, requested_at);
CREATE UNIQUE INDEX erasure_requests_one_open ON erasure_requests(tenant_id, buyer_id) WHERE status != 'completed';
-- A buyer asked to be erased: every session naming it is refused from that moment (middleware/shopper.ts).
ALTER TABLE buyers ADD COLUMN erased_at TEXT;
