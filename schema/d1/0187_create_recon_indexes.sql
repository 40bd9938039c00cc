-- Reconciliation reads a day of a tenant's succeeded payments per provider and a day of ok supplier attempts.
CREATE INDEX payments_recon ON payments(tenant_id, provider, completed_at) WHERE status = 'succeeded';
CREATE INDEX supplier_attempts_recon ON supplier_attempts(tenant_id, supplier_id, created_at) WHERE outcome = 'ok';
