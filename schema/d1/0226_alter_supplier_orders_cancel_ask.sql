-- The last cancel request (撤单) asked of the supplier for this line: when, by whom (the operator's API key id, or
-- 'poll' for the cron's ask about a disowned / never-received line), what it answered (cancelled, succeeded, failed,
-- refused, unanswered) and its reason (in_progress, or why there was no answer: timeout, error). A refused or
-- unanswered ask changes nothing else, so without this the order page forgot it on reload, and a second operator
-- never knew a cancel had been asked for (a hung one may still take effect upstream).
ALTER TABLE supplier_orders ADD COLUMN cancel_asked_at TEXT;
ALTER TABLE supplier_orders ADD COLUMN cancel_asked_by TEXT;
ALTER TABLE supplier_orders ADD COLUMN cancel_answer TEXT;
ALTER TABLE supplier_orders ADD COLUMN cancel_reason TEXT;
