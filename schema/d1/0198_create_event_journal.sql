-- Event messages on their way through the events Queue, one row per message (a bundle of envelopes): written before
-- the send, deleted by the consumer once the warehouse stored the events (or the dead-letter queue parked them). The
-- minute cron sends again any row still here when due (worker/queue/journal.ts), so a message the Queue lost still
-- arrives: locally Miniflare's broker keeps messages in memory only, and a killed stack loses what it held. The
-- warehouse drops repeated event ids, so a resend of a message that was only slow costs nothing but the send.
CREATE TABLE event_journal (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL, -- the envelopes, a JSON array
  events INTEGER NOT NULL,
  created_at INTEGER NOT NULL, -- epoch ms
  resend_at INTEGER NOT NULL, -- epoch ms: sent again if still here by then (60 s, then with back-off)
  resends INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX event_journal_due ON event_journal(resend_at);
