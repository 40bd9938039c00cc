import type { BlockEntry, BlockKind } from "../../schema/risk";

export interface BlockRow {
  id: string;
  tenant_id: string;
  kind: BlockKind;
  value: string;
  label: string;
  reason: string;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export const toBlockEntry = (r: BlockRow, now = new Date().toISOString()): BlockEntry => ({
  id: r.id,
  scope: r.tenant_id ? "tenant" : "platform",
  tenantId: r.tenant_id || null,
  kind: r.kind,
  value: r.label,
  reason: r.reason,
  expiresAt: r.expires_at,
  active: !r.expires_at || r.expires_at > now,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** tenantId null = the platform-wide list. A repeat of the same kind + value replaces reason and expiry. */
export async function upsertBlock(
  db: D1Database,
  e: { id: string; tenantId: string | null; kind: BlockKind; value: string; label: string; reason: string; expiresAt: string | null },
): Promise<BlockRow> {
  return (await db
    .prepare(
      `INSERT INTO block_entries (id, tenant_id, kind, value, label, reason, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, kind, value) DO UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at,
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       RETURNING *`,
    )
    .bind(e.id, e.tenantId ?? PLATFORM_SCOPE, e.kind, e.value, e.label, e.reason, e.expiresAt)
    .first<BlockRow>())!;
}

/** The platform-wide list is stored under tenant_id '' (a unique index needs a value). */
export const PLATFORM_SCOPE = "";
const scoped = (tenantId: string | null) => ({ where: "tenant_id = ?", args: [tenantId ?? PLATFORM_SCOPE] });

export async function listBlocks(db: D1Database, tenantId: string | null): Promise<BlockRow[]> {
  const s = scoped(tenantId);
  return (await db.prepare(`SELECT * FROM block_entries WHERE ${s.where} ORDER BY created_at DESC LIMIT 1000`).bind(...s.args).all<BlockRow>()).results;
}

export function getBlock(db: D1Database, tenantId: string | null, id: string) {
  const s = scoped(tenantId);
  return db.prepare(`SELECT * FROM block_entries WHERE ${s.where} AND id = ?`).bind(...s.args, id).first<BlockRow>();
}

export function updateBlock(db: D1Database, tenantId: string | null, id: string, p: { reason?: string; expiresAt?: string | null }) {
  const s = scoped(tenantId);
  return db
    .prepare(
      `UPDATE block_entries SET reason = COALESCE(?, reason), expires_at = CASE WHEN ? THEN ? ELSE expires_at END,
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE ${s.where} AND id = ? RETURNING *`,
    )
    .bind(p.reason ?? null, p.expiresAt !== undefined ? 1 : 0, p.expiresAt ?? null, ...s.args, id)
    .first<BlockRow>();
}

export async function deleteBlock(db: D1Database, tenantId: string | null, id: string): Promise<boolean> {
  const s = scoped(tenantId);
  return ((await db.prepare(`DELETE FROM block_entries WHERE ${s.where} AND id = ?`).bind(...s.args, id).run()).meta.changes ?? 0) > 0;
}

/** What applies to one tenant now: its own entries and the platform's, unexpired. */
export async function activeBlocksFor(db: D1Database, tenantId: string, now: string): Promise<BlockRow[]> {
  return (
    await db
      .prepare("SELECT * FROM block_entries WHERE tenant_id IN (?, '') AND (expires_at IS NULL OR expires_at > ?)")
      .bind(tenantId, now)
      .all<BlockRow>()
  ).results;
}

/** The tenant's buyers behind blocked phone hashes, and the guests merged into them (their sessions name the guest). */
export async function buyersOfPhones(db: D1Database, tenantId: string, phoneHashes: string[]): Promise<{ id: string; ph: string }[]> {
  if (!phoneHashes.length) return [];
  const marks = phoneHashes.map(() => "?").join(",");
  const { results } = await db
    .prepare(
      `SELECT id, phone_hash AS ph FROM buyers WHERE tenant_id = ? AND phone_hash IN (${marks})
       UNION ALL SELECT g.id, p.phone_hash FROM buyers g JOIN buyers p ON p.tenant_id = g.tenant_id AND p.id = g.merged_into
         WHERE g.tenant_id = ? AND p.phone_hash IN (${marks})`,
    )
    .bind(tenantId, ...phoneHashes, tenantId, ...phoneHashes)
    .all<{ id: string; ph: string }>();
  return results;
}

export function pruneExpiredBlocks(db: D1Database, before: string) {
  return db.prepare("DELETE FROM block_entries WHERE expires_at IS NOT NULL AND expires_at < ?").bind(before).run();
}
