-- Personal-data requests read and re-key one user's events (analytics/privacy.ts: "download my data", erasure).
-- user_id is not in the sort key, so without an index each request scans the tenant's whole history; a bloom filter
-- lets it skip granules that cannot hold the user. Existing parts get the index by a background mutation.
ALTER TABLE events ADD INDEX IF NOT EXISTS idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 4;
ALTER TABLE events MATERIALIZE INDEX idx_user_id;
