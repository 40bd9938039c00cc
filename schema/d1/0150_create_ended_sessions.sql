-- Buyer ids whose sessions an erasure ended. The hot claim path only verifies a session token's HMAC, so it checks
-- this list (cached per isolate, worker/services/ended-sessions.ts) instead of reading the buyer. Rows are written in
-- the erasure request's own batch and kept until every token that could name the id has expired (`until`: the
-- request + the 30-day session lifetime), then pruned by the cron. The id is the random one the scrub replaces with
-- the pseudonym: no other row holds it then, so this row links to no one; it only refuses the old token.
CREATE TABLE ended_sessions (
  tenant_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  until TEXT NOT NULL,
  PRIMARY KEY (tenant_id, buyer_id)
) WITHOUT ROWID;
CREATE INDEX ended_sessions_until ON ended_sessions(until);
