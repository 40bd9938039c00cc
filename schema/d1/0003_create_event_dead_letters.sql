-- Events the warehouse would not take after every retry. Kept here so nothing is dropped silently;
-- `npm run admin -- events replay` sends them back through the queue.
CREATE TABLE event_dead_letters (
  event_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL, -- the event envelope as JSON
  attempts INTEGER NOT NULL,
  dead_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  replayed_at TEXT
);
CREATE INDEX event_dead_letters_tenant ON event_dead_letters(tenant_id, dead_at);
