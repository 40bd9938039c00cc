import type { Tenant } from "../../schema/tenancy";

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  allowed_origins: string;
  created_at: string;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  allowedOrigins: JSON.parse(r.allowed_origins) as string[],
  createdAt: r.created_at,
});

export async function insertTenant(db: D1Database, t: { id: string; slug: string; name: string; allowedOrigins: string[] }) {
  await db
    .prepare("INSERT INTO tenants (id, slug, name, allowed_origins) VALUES (?, ?, ?, ?)")
    .bind(t.id, t.slug, t.name, JSON.stringify(t.allowedOrigins))
    .run();
}

export async function getTenant(db: D1Database, id: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE id = ?").bind(id).first<TenantRow>();
  return row ? toTenant(row) : null;
}

export async function getTenantBySlug(db: D1Database, slug: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE slug = ?").bind(slug).first<TenantRow>();
  return row ? toTenant(row) : null;
}

export async function listTenants(db: D1Database): Promise<Tenant[]> {
  const { results } = await db.prepare("SELECT * FROM tenants ORDER BY created_at").all<TenantRow>();
  return results.map(toTenant);
}

export async function updateTenant(db: D1Database, id: string, patch: { name?: string; allowedOrigins?: string[] }) {
  await db
    .prepare("UPDATE tenants SET name = COALESCE(?, name), allowed_origins = COALESCE(?, allowed_origins) WHERE id = ?")
    .bind(patch.name ?? null, patch.allowedOrigins ? JSON.stringify(patch.allowedOrigins) : null, id)
    .run();
}
