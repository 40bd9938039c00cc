import type { SqlGuard } from "./statements";
import type { Tenant } from "../../schema/tenancy";

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  allowed_origins: string;
  event_retention_days: number | null;
  created_at: string;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  allowedOrigins: JSON.parse(r.allowed_origins) as string[],
  eventRetentionDays: r.event_retention_days ?? null,
  createdAt: r.created_at,
});

/** Inserts a tenant; `also` (its event rows) runs in the same transaction. */
export async function insertTenant(db: D1Database, t: { id: string; slug: string; name: string; allowedOrigins: string[] }, also: D1PreparedStatement[] = []) {
  await db.batch([
    db.prepare("INSERT INTO tenants (id, slug, name, allowed_origins) VALUES (?, ?, ?, ?)").bind(t.id, t.slug, t.name, JSON.stringify(t.allowedOrigins)),
    ...also,
  ]);
}

/** Holds inside a batch once the tenant exists. */
export const tenantExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM tenants WHERE id = ?)", args: [id] });

export async function getTenant(db: D1Database, id: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE id = ?").bind(id).first<TenantRow>();
  return row ? toTenant(row) : null;
}

export async function getTenantBySlug(db: D1Database, slug: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE slug = ?").bind(slug).first<TenantRow>();
  return row ? toTenant(row) : null;
}

const SLUG_TTL_MS = 30_000;
const bySlug = new Map<string, { tenant: Tenant; until: number }>();

/**
 * Slug → tenant for the storefront's hot paths, cached per isolate for a short while. A tenant's id and slug never
 * change (updateTenant touches name and origins only), so a cached hit can only be up to SLUG_TTL_MS stale in its
 * name or origins; callers that use those for a security decision read getTenantBySlug instead. Misses are not
 * cached, so a new store is found at once.
 */
export async function getTenantBySlugCached(db: D1Database, slug: string): Promise<Tenant | null> {
  const now = Date.now();
  const hit = bySlug.get(slug);
  if (hit && hit.until > now) return hit.tenant;
  const tenant = await getTenantBySlug(db, slug);
  if (!tenant) bySlug.delete(slug);
  else {
    if (bySlug.size >= 1000) bySlug.clear();
    bySlug.set(slug, { tenant, until: now + SLUG_TTL_MS });
  }
  return tenant;
}

export async function listTenants(db: D1Database): Promise<Tenant[]> {
  const { results } = await db.prepare("SELECT * FROM tenants ORDER BY created_at").all<TenantRow>();
  return results.map(toTenant);
}

/** Updates name/origins/retention; `also` runs in the same transaction (guard it with `changes() = 1` right after this). */
export async function updateTenant(
  db: D1Database, id: string, patch: { name?: string; allowedOrigins?: string[]; eventRetentionDays?: number | null }, also: D1PreparedStatement[] = [],
) {
  const retention = patch.eventRetentionDays !== undefined;
  await db.batch([
    db
      .prepare(
        `UPDATE tenants SET name = COALESCE(?, name), allowed_origins = COALESCE(?, allowed_origins),
           event_retention_days = CASE WHEN ? THEN ? ELSE event_retention_days END,
           retention_applied_at = CASE WHEN ? THEN NULL ELSE retention_applied_at END WHERE id = ?`,
      )
      .bind(patch.name ?? null, patch.allowedOrigins ? JSON.stringify(patch.allowedOrigins) : null, retention ? 1 : 0, patch.eventRetentionDays ?? null, retention ? 1 : 0, id),
    ...also,
  ]);
}

/** Tenants whose retention window is due to be applied (never, or not within the last `everyMs`). */
export async function tenantsDueForRetention(db: D1Database, beforeIso: string) {
  const { results } = await db
    .prepare("SELECT id, event_retention_days AS days FROM tenants WHERE event_retention_days IS NOT NULL AND (retention_applied_at IS NULL OR retention_applied_at < ?) LIMIT 50")
    .bind(beforeIso)
    .all<{ id: string; days: number }>();
  return results;
}

export function markRetentionApplied(db: D1Database, id: string, atIso: string) {
  return db.prepare("UPDATE tenants SET retention_applied_at = ? WHERE id = ?").bind(atIso, id).run();
}
