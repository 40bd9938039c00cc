-- Every column that REFERENCES buyers(id), indexed by itself. When a buyer row is deleted or its id changes (an
-- erasure deletes the person's attached guests and re-keys the account to a pseudonym, db/privacy.ts scrubStmts),
-- SQLite looks for rows still pointing at the old id by that column alone; the existing indexes all lead with
-- tenant_id, so each look-up walked the whole table, every brand's rows. Beside 10,000 other members, invite links
-- and invites, one erasure read 80,153 rows against 148 (test/worker/rows-read-integration.test.ts).
CREATE INDEX IF NOT EXISTS members_buyer_ref ON members(buyer_id);
CREATE INDEX IF NOT EXISTS invite_codes_buyer_ref ON invite_codes(buyer_id);
CREATE INDEX IF NOT EXISTS invites_inviter_ref ON invites(inviter_id);
CREATE INDEX IF NOT EXISTS invites_invitee_ref ON invites(invitee_id);
CREATE INDEX IF NOT EXISTS assist_requests_requester_ref ON assist_requests(requester_id);
