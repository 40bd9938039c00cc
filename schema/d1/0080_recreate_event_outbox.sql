-- The transactional outbox: every state change writes its event row(s) in the same D1 batch as the change
-- (worker/db/event-outbox.ts eventStatements). One dispatcher (worker/queue/dispatch.ts) forwards pending rows in
-- seq order to the Queue and the provenance ledger and marks them sent; sent rows are kept a few days so a repeated
-- call with the same derived event id is still ignored. Events parked by the old emit path are carried over.
ALTER TABLE event_outbox RENAME TO event_outbox_parked;
CREATE TABLE event_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, -- dispatch order (per tenant and overall)
  event_id TEXT NOT NULL UNIQUE, -- derived from the change where it can repeat: INSERT OR IGNORE records it once
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL, -- the event envelope as JSON
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  sent_at TEXT, -- NULL while pending
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0, -- epoch ms: after a failed dispatch, not before
  last_error TEXT
);
CREATE INDEX event_outbox_pending ON event_outbox(seq) WHERE sent_at IS NULL;
CREATE INDEX event_outbox_sent ON event_outbox(sent_at) WHERE sent_at IS NOT NULL;
INSERT INTO event_outbox (event_id, tenant_id, type, body, created_at, attempts, last_error)
  SELECT event_id, tenant_id, coalesce(json_extract(body, '$.type'), 'alert'), body, parked_at, attempts, last_error
  FROM event_outbox_parked ORDER BY next_at, event_id;
DROP TABLE event_outbox_parked;
-- One dispatcher at a time (so the ledger sees each tenant's rows in order); a crashed holder's lease runs out.
CREATE TABLE event_dispatch_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT,
  until INTEGER NOT NULL DEFAULT 0 -- epoch ms
);
INSERT INTO event_dispatch_lease (id, until) VALUES (1, 0);
