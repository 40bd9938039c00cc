-- A guest attached to another buyer (guest_attached: a guest who signs in to an existing phone account) is one person
-- from then on: the worker moves the guest's orders and vouchers at once, and analytics/person-merges.ts re-keys the
-- guest's history in the warehouse to that account a little later (events, and every narrow copy keyed by person).
-- One row per guest; applied = 1 is written once its history moved (the newest row wins: argMax / max(applied)).
-- The view keeps it current; the insert below takes the attachments already held. A re-run after a crash is harmless
-- (a second row of an unapplied guest changes nothing).
CREATE TABLE IF NOT EXISTS person_merges
(
    tenant_id LowCardinality(String),
    from_id String,
    to_id String,
    attached_at DateTime64(3, 'UTC'),
    -- When the warehouse learned of it: a merge waits from here, so a backlog delivered after an outage (the guest's
    -- earlier events with it) lands first however old the attachment is.
    seen_at DateTime64(3, 'UTC') DEFAULT now64(3),
    applied UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(applied)
ORDER BY (tenant_id, from_id);
-- The view's filter is the event type alone: it runs on every block inserted into events (the bulk load and the stream
-- included), and a JSON read there would parse every payload. A guest id the job cannot use (empty, or the account's
-- own) is skipped by the job (analytics/person-merges.ts).
CREATE MATERIALIZED VIEW IF NOT EXISTS person_merges_mv TO person_merges AS
SELECT tenant_id, JSONExtractString(payload, 'guestId') AS from_id, user_id AS to_id, occurred_at AS attached_at, now64(3) AS seen_at, toUInt8(0) AS applied
FROM events
WHERE type = 'guest_attached';
INSERT INTO person_merges (tenant_id, from_id, to_id, attached_at, seen_at, applied)
SELECT tenant_id, JSONExtractString(payload, 'guestId'), user_id, occurred_at, now64(3), 0
FROM events
WHERE type = 'guest_attached';
