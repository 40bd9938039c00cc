-- An issuance's progress (its messages by flow and status, GET /outreach/issuances/{id}) counted the brand's every
-- message to find the issuance's: no index led with the issuance. Only issuance messages are in this one.
CREATE INDEX outreach_messages_issuance ON outreach_messages(tenant_id, issuance_id, flow, status) WHERE issuance_id IS NOT NULL;
