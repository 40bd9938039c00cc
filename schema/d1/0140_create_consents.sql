-- Consent records (PIPL): one row per grant or withdrawal — purpose, the version of the text the buyer saw, the
-- channel and the time. Append-only: rows are never deleted, and the only change allowed is an erasure re-keying
-- the buyer id to its pseudonym (worker/services/erasure.ts), so the proof of consent outlives the person.
CREATE TABLE consents (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  buyer_id TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('phone_sign_in', 'marketing')),
  action TEXT NOT NULL CHECK (action IN ('granted', 'withdrawn')),
  text_version TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('web', 'widget', 'api')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX consents_buyer ON consents(tenant_id, buyer_id, created_at);
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN
  SELECT RAISE(ABORT, 'consents are append-only');
END;
CREATE TRIGGER consents_only_rekey BEFORE UPDATE ON consents
WHEN NEW.id IS NOT OLD.id OR NEW.tenant_id IS NOT OLD.tenant_id OR NEW.purpose IS NOT OLD.purpose OR NEW.action IS NOT OLD.action
  OR NEW.text_version IS NOT OLD.text_version OR NEW.channel IS NOT OLD.channel OR NEW.created_at IS NOT OLD.created_at
BEGIN
  SELECT RAISE(ABORT, 'consents are append-only (only an erasure may re-key buyer_id)');
END;
