-- Events the Queue refused when they were emitted (an outage, a limit). The state change they describe is already
-- committed, so they are parked here and re-sent by the cron job and after the next successful send; the warehouse
-- drops repeats by event_id, so a re-send after a partial success is harmless.
CREATE TABLE event_outbox (
  event_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  body TEXT NOT NULL, -- the event envelope as JSON
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0, -- epoch ms of the next re-send
  parked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_error TEXT
);
CREATE INDEX event_outbox_due ON event_outbox(next_at);
