-- An endpoint's deliveries in one state, newest first: the operator's dead letters (status 'failed') are found at once
-- among the many that succeeded, which the (tenant_id, endpoint_id, created_at) index would have to step through.
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries(tenant_id, endpoint_id, status, created_at);
