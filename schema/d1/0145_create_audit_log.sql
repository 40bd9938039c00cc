-- Every change made with a tenant API key: who (key + its scopes), what (method, route, resource, before/after
-- JSON with secrets masked), when, from where. Read by the tenant's admin key: GET /api/v1/audit-log.
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,                 -- aud_<random>
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  at TEXT NOT NULL,                    -- ISO instant the change was answered
  api_key_id TEXT NOT NULL,
  role TEXT NOT NULL,                  -- the key's scopes, comma-separated
  method TEXT NOT NULL,
  route TEXT NOT NULL,                 -- the route pattern, e.g. /api/v1/products/:productId
  path TEXT NOT NULL,                  -- the path as called
  resource_type TEXT NOT NULL,         -- products, campaigns, stores, keys, webhooks, tenant, …
  resource_id TEXT,
  status INTEGER NOT NULL,
  before_json TEXT,                    -- the resource before the change (null: it did not exist / not loadable)
  after_json TEXT,                     -- after the change (null: deleted)
  ip TEXT,
  user_agent TEXT,
  request_id TEXT
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC, id DESC);
CREATE INDEX audit_log_tenant_resource ON audit_log (tenant_id, resource_type, at DESC, id DESC);
