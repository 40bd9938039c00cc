-- Raw event retention per tenant (days; NULL = kept). The cron deletes the tenant's warehouse events older than the
-- window (worker/services/retention.ts), at most once an hour per tenant (retention_applied_at).
ALTER TABLE tenants ADD COLUMN event_retention_days INTEGER CHECK (event_retention_days IS NULL OR event_retention_days BETWEEN 1 AND 3650);
ALTER TABLE tenants ADD COLUMN retention_applied_at TEXT;
