-- A guest attached to an account hands over the help links it started (db/buyers.ts attachGuestStmts): found by
-- requester, not by a scan of the brand's requests at every sign-in.
CREATE INDEX assist_requests_requester ON assist_requests(tenant_id, requester_id);
