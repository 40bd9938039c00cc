-- Dead letters are re-driven to the warehouse by the minute cron (worker/queue/redrive.ts) with back-off until the
-- warehouse takes them, then deleted: an outage longer than the queue's retries needs no person.
ALTER TABLE event_dead_letters ADD COLUMN redrives INTEGER NOT NULL DEFAULT 0; -- failed re-drive attempts
ALTER TABLE event_dead_letters ADD COLUMN next_at INTEGER NOT NULL DEFAULT 0; -- epoch ms: next re-drive, or end of a running one's lease
ALTER TABLE event_dead_letters ADD COLUMN last_error TEXT;
CREATE INDEX event_dead_letters_due ON event_dead_letters(next_at) WHERE replayed_at IS NULL;
