import type { ApiKey, Scope } from "../../schema/tenancy";
import type { SqlGuard } from "./statements";

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  prefix: r.prefix,
  scopes: JSON.parse(r.scopes) as Scope[],
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** Inserts a key; `also` (its event rows) runs in the same transaction. */
export async function insertApiKey(
  db: D1Database,
  k: { id: string; tenantId: string; name: string; prefix: string; secretHash: string; scopes: Scope[] },
  also: D1PreparedStatement[] = [],
): Promise<ApiKeyRow> {
  const [ins] = await db.batch([
    db
      .prepare(`INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes) VALUES (?, ?, ?, ?, ?, ?) RETURNING *`)
      .bind(k.id, k.tenantId, k.name, k.prefix, k.secretHash, JSON.stringify(k.scopes)),
    ...also,
  ]);
  return ins!.results[0] as ApiKeyRow;
}

/** Holds inside a batch once the key exists (and, with `revoked`, is revoked). */
export const apiKeyIs = (tenantId: string, id: string, revoked = false): SqlGuard => ({
  sql: `EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?${revoked ? " AND revoked_at IS NOT NULL" : ""})`,
  args: [tenantId, id],
});

/** Lookup for authentication: by public prefix, across tenants (the key itself names its tenant). */
export function findApiKeyByPrefix(db: D1Database, prefix: string) {
  return db.prepare("SELECT * FROM api_keys WHERE prefix = ?").bind(prefix).first<ApiKeyRow>();
}

export async function listApiKeys(db: D1Database, tenantId: string): Promise<ApiKey[]> {
  const { results } = await db
    .prepare("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at")
    .bind(tenantId)
    .all<ApiKeyRow>();
  return results.map(toApiKey);
}

/** Returns the revoked key, or null when no such key belongs to this tenant; `also` runs in the same transaction. */
export async function revokeApiKey(db: D1Database, tenantId: string, id: string, also: D1PreparedStatement[] = []): Promise<ApiKey | null> {
  const [moved] = await db.batch([
    db
      .prepare(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         WHERE tenant_id = ? AND id = ? RETURNING *`,
      )
      .bind(tenantId, id),
    ...also,
  ]);
  const row = moved!.results[0] as ApiKeyRow | undefined;
  return row ? toApiKey(row) : null;
}

export async function touchApiKey(db: D1Database, tenantId: string, id: string) {
  await db
    .prepare(
      `UPDATE api_keys SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND (last_used_at IS NULL OR last_used_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds'))`,
    )
    .bind(tenantId, id)
    .run();
}

export async function getApiKey(db: D1Database, tenantId: string, id: string): Promise<ApiKey | null> {
  const r = await db.prepare("SELECT * FROM api_keys WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<ApiKeyRow>();
  return r ? toApiKey(r) : null;
}
