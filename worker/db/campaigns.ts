import type { CampaignDefinition } from "../../schema/campaigns";
import { isOpen } from "../domain/eligibility";

/** The eligibility column: NULL for an open rule (or a definition without one). */
const eligibilityColumn = (def: CampaignDefinition) => (def.eligibility && !isOpen(def.eligibility) ? JSON.stringify(def.eligibility) : null);

export interface CampaignRow {
  id: string;
  tenant_id: string;
  kind: CampaignDefinition["kind"];
  definition: string;
  starts_at: string;
  ends_at: string;
  seed_commitment: string | null;
  seed: string | null;
  paused_at: string | null;
  created_at: string;
  updated_at: string;
}

export async function insertCampaign(db: D1Database, tenantId: string, id: string, def: CampaignDefinition, commitment: string | null) {
  await db
    .prepare(
      "INSERT INTO campaigns (id, tenant_id, kind, definition, starts_at, ends_at, seed_commitment, entry, min_account_age_minutes, eligibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id, tenantId, def.kind, JSON.stringify(def), def.startsAt, def.endsAt, commitment, def.entry, def.minAccountAgeMinutes, eligibilityColumn(def))
    .run();
}

export async function updateCampaignDefinition(db: D1Database, tenantId: string, id: string, def: CampaignDefinition) {
  await db
    .prepare(
      `UPDATE campaigns SET definition = ?, starts_at = ?, ends_at = ?, entry = ?, min_account_age_minutes = ?, eligibility = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ?`,
    )
    .bind(JSON.stringify(def), def.startsAt, def.endsAt, def.entry, def.minAccountAgeMinutes, eligibilityColumn(def), tenantId, id)
    .run();
}

export async function setCampaignPaused(db: D1Database, tenantId: string, id: string, paused: boolean) {
  await db
    .prepare(
      `UPDATE campaigns SET paused_at = CASE WHEN ? THEN coalesce(paused_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END,
       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ?`,
    )
    .bind(paused ? 1 : 0, tenantId, id)
    .run();
}

export async function setCampaignSeed(db: D1Database, tenantId: string, id: string, seed: string) {
  await db.prepare("UPDATE campaigns SET seed = ? WHERE tenant_id = ? AND id = ? AND seed IS NULL").bind(seed, tenantId, id).run();
}

export function getCampaign(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM campaigns WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<CampaignRow>();
}

/** Public look-up by id alone (storefront routes): the id is unguessable and the row names its tenant. */
export function getCampaignPublic(db: D1Database, id: string) {
  return db
    .prepare("SELECT c.*, t.allowed_origins, t.slug AS tenant_slug FROM campaigns c JOIN tenants t ON t.id = c.tenant_id WHERE c.id = ?")
    .bind(id)
    .first<CampaignRow & { allowed_origins: string; tenant_slug: string }>();
}

export async function listCampaigns(db: D1Database, tenantId: string) {
  const { results } = await db
    .prepare("SELECT * FROM campaigns WHERE tenant_id = ? ORDER BY starts_at DESC LIMIT 200")
    .bind(tenantId)
    .all<CampaignRow>();
  return results;
}

/** Whether a campaign that has not ended offers the product, as its offer or as a prize (ends_at may carry an offset). */
export async function offeredByCampaign(db: D1Database, tenantId: string, productId: string): Promise<boolean> {
  const row = await db.prepare(
    `SELECT 1 AS x FROM campaigns c WHERE c.tenant_id = ?1 AND julianday(c.ends_at) > julianday(?3)
       AND (json_extract(c.definition, '$.productId') = ?2
            OR EXISTS (SELECT 1 FROM json_each(c.definition, '$.prizes') p WHERE json_extract(p.value, '$.productId') = ?2))
     LIMIT 1`,
  ).bind(tenantId, productId, new Date().toISOString()).first();
  return !!row;
}
