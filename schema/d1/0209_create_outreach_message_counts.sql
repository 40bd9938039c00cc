-- The outreach overview (GET /outreach: messages by flow and status) counted the brand's every message on each view:
-- one row per message ever decided, a growing read on the one database the brand's buyers share. The counts are kept
-- here by triggers, exact inside whichever statement adds, moves (deferred → sent / suppressed) or deletes a message.
CREATE TABLE outreach_message_counts (
  tenant_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, flow, status)
) WITHOUT ROWID;

INSERT INTO outreach_message_counts (tenant_id, flow, status, n)
  SELECT tenant_id, flow, status, COUNT(*) FROM outreach_messages WHERE true GROUP BY tenant_id, flow, status;

CREATE TRIGGER outreach_message_counts_insert AFTER INSERT ON outreach_messages
BEGIN
  INSERT INTO outreach_message_counts (tenant_id, flow, status, n) VALUES (NEW.tenant_id, NEW.flow, NEW.status, 1)
    ON CONFLICT (tenant_id, flow, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outreach_message_counts_delete AFTER DELETE ON outreach_messages
BEGIN
  UPDATE outreach_message_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND flow = OLD.flow AND status = OLD.status;
END;

CREATE TRIGGER outreach_message_counts_update AFTER UPDATE OF tenant_id, flow, status ON outreach_messages
WHEN NEW.tenant_id IS NOT OLD.tenant_id OR NEW.flow IS NOT OLD.flow OR NEW.status IS NOT OLD.status
BEGIN
  UPDATE outreach_message_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND flow = OLD.flow AND status = OLD.status;
  INSERT INTO outreach_message_counts (tenant_id, flow, status, n) VALUES (NEW.tenant_id, NEW.flow, NEW.status, 1)
    ON CONFLICT (tenant_id, flow, status) DO UPDATE SET n = n + 1;
END;
