-- The cron asks for the sandbox's paid charges of the last day whose notice was never acknowledged
-- (services/sandbox-gateway.ts resendSandboxNotices): by booking time, across tenants, paid charges only.
CREATE INDEX sandbox_gateway_txns_paid ON sandbox_gateway_txns(booked_at) WHERE kind = 'payment' AND state = 'paid';
