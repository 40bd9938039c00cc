-- The console's alert inbox (GET /alerts): what each alert (kind + subject) was about, kept when it last passed the
-- de-duplication gate, and when it was last raised at all (held-back repeats included). Rows from before this
-- migration have NULLs (the console falls back to dedup_key and last_sent_at).
ALTER TABLE alert_notices ADD COLUMN kind TEXT;
ALTER TABLE alert_notices ADD COLUMN subject TEXT;
ALTER TABLE alert_notices ADD COLUMN source_type TEXT; -- the event type that raised it (alert, low_stock, ...)
ALTER TABLE alert_notices ADD COLUMN payload TEXT; -- JSON: the event's payload, ids/labels/counts only
ALTER TABLE alert_notices ADD COLUMN last_raised_at INTEGER; -- epoch ms, held-back repeats included
CREATE INDEX alert_notices_recent ON alert_notices(tenant_id, last_raised_at DESC);
