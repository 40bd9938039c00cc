import type { RedeemerKeySettings, Store } from "../../schema/redemptions";
import type { OpeningHours } from "../../schema/stores";

interface StoreRow {
  id: string;
  tenant_id: string;
  name: string;
  address: string;
  city: string;
  lat: number | null;
  lng: number | null;
  hours: string | null;
  created_at: string;
}
const toStore = (r: StoreRow): Store => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, address: r.address, city: r.city, lat: r.lat, lng: r.lng,
  hours: r.hours ? (JSON.parse(r.hours) as OpeningHours) : null, createdAt: r.created_at,
});

export interface StoreWrite { name: string; address: string; city: string; lat: number | null; lng: number | null; hours: OpeningHours | null }

export async function insertStore(db: D1Database, tenantId: string, id: string, s: StoreWrite): Promise<Store> {
  const row = await db
    .prepare("INSERT INTO stores (id, tenant_id, name, address, city, lat, lng, hours) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *")
    .bind(id, tenantId, s.name, s.address, s.city, s.lat, s.lng, s.hours ? JSON.stringify(s.hours) : null)
    .first<StoreRow>();
  return toStore(row!);
}

const STORE_COLUMNS = new Set(["name", "address", "city", "lat", "lng", "hours"]);

/** Writes the given fields of one store; null when it is not this tenant's. */
export async function updateStore(db: D1Database, tenantId: string, id: string, s: Partial<StoreWrite>): Promise<Store | null> {
  const cols = Object.entries(s).filter(([k, v]) => v !== undefined && STORE_COLUMNS.has(k));
  if (!cols.length) return getStore(db, tenantId, id);
  const row = await db
    .prepare(`UPDATE stores SET ${cols.map(([k]) => `${k} = ?`).join(", ")} WHERE tenant_id = ? AND id = ? RETURNING *`)
    .bind(...cols.map(([k, v]) => (k === "hours" && v ? JSON.stringify(v) : v)), tenantId, id)
    .first<StoreRow>();
  return row ? toStore(row) : null;
}

export async function listStores(db: D1Database, tenantId: string): Promise<Store[]> {
  const { results } = await db.prepare("SELECT * FROM stores WHERE tenant_id = ? ORDER BY created_at").bind(tenantId).all<StoreRow>();
  return results.map(toStore);
}

export async function getStore(db: D1Database, tenantId: string, id: string): Promise<Store | null> {
  const r = await db.prepare("SELECT * FROM stores WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<StoreRow>();
  return r ? toStore(r) : null;
}

interface SettingsRow {
  api_key_id: string;
  tenant_id: string;
  store_id: string | null;
  suspended_at: string | null;
  suspended_reason: string | null;
}
const toSettings = (apiKeyId: string, r: SettingsRow | null): RedeemerKeySettings => ({
  apiKeyId,
  storeId: r?.store_id ?? null,
  suspendedAt: r?.suspended_at ?? null,
  suspendedReason: r?.suspended_reason ?? null,
});

export async function getKeySettings(db: D1Database, tenantId: string, apiKeyId: string): Promise<RedeemerKeySettings> {
  const r = await db
    .prepare("SELECT * FROM redeemer_key_settings WHERE tenant_id = ? AND api_key_id = ?")
    .bind(tenantId, apiKeyId)
    .first<SettingsRow>();
  return toSettings(apiKeyId, r);
}

export async function bindKeyToStore(db: D1Database, tenantId: string, apiKeyId: string, storeId: string | null) {
  const r = await db
    .prepare(
      `INSERT INTO redeemer_key_settings (api_key_id, tenant_id, store_id) VALUES (?, ?, ?)
       ON CONFLICT (api_key_id) DO UPDATE SET store_id = excluded.store_id WHERE tenant_id = excluded.tenant_id RETURNING *`,
    )
    .bind(apiKeyId, tenantId, storeId)
    .first<SettingsRow>();
  return toSettings(apiKeyId, r);
}

/** Suspends a key; returns true when this call suspended it (it was active). */
export async function suspendKey(db: D1Database, tenantId: string, apiKeyId: string, reason: string): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO redeemer_key_settings (api_key_id, tenant_id, suspended_at, suspended_reason)
       VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)
       ON CONFLICT (api_key_id) DO UPDATE SET suspended_at = excluded.suspended_at, suspended_reason = excluded.suspended_reason
       WHERE tenant_id = excluded.tenant_id AND suspended_at IS NULL`,
    )
    .bind(apiKeyId, tenantId, reason)
    .run();
  return r.meta.changes > 0;
}

export async function reinstateKey(db: D1Database, tenantId: string, apiKeyId: string) {
  const r = await db
    .prepare(
      `UPDATE redeemer_key_settings SET suspended_at = NULL, suspended_reason = NULL WHERE tenant_id = ? AND api_key_id = ? RETURNING *`,
    )
    .bind(tenantId, apiKeyId)
    .first<SettingsRow>();
  return toSettings(apiKeyId, r);
}

export async function setProductStores(db: D1Database, tenantId: string, productId: string, storeIds: string[]) {
  await db.batch([
    db.prepare("DELETE FROM product_stores WHERE tenant_id = ? AND product_id = ?").bind(tenantId, productId),
    ...storeIds.map((s) => db.prepare("INSERT OR IGNORE INTO product_stores (tenant_id, product_id, store_id) VALUES (?, ?, ?)").bind(tenantId, productId, s)),
  ]);
}

export async function productStoreIds(db: D1Database, tenantId: string, productId: string): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT store_id FROM product_stores WHERE tenant_id = ? AND product_id = ?")
    .bind(tenantId, productId)
    .all<{ store_id: string }>();
  return results.map((r) => r.store_id);
}

export async function apiKeyOfTenant(db: D1Database, tenantId: string, apiKeyId: string): Promise<boolean> {
  return !!(await db.prepare("SELECT 1 AS ok FROM api_keys WHERE tenant_id = ? AND id = ?").bind(tenantId, apiKeyId).first());
}
