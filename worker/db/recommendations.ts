import type { ScoredProduct } from "../../schema/recommendations";
import type { ProductRow } from "./products";

export type RecommendationKind = "also_bought" | "for_you" | "top";

export async function readRecommendation(db: D1Database, tenantId: string, kind: RecommendationKind, subjectId: string) {
  const row = await db
    .prepare(
      `SELECT r.items, x.computed_at FROM recommendations r LEFT JOIN recommendation_runs x ON x.tenant_id = r.tenant_id
       WHERE r.tenant_id = ? AND r.kind = ? AND r.subject_id = ?`,
    )
    .bind(tenantId, kind, subjectId)
    .first<{ items: string; computed_at: string | null }>();
  return row ? { items: JSON.parse(row.items) as ScoredProduct[], computedAt: row.computed_at } : null;
}

export async function lastRun(db: D1Database, tenantId: string) {
  return db.prepare("SELECT * FROM recommendation_runs WHERE tenant_id = ?").bind(tenantId).first<{
    tenant_id: string; run_id: string | null; computed_at: string | null; attempted_at: string; last_error: string | null; lists: number;
  }>();
}

/** Published products among `ids` (the cache holds ids only; what is on sale is decided when it is read). */
export async function publishedProductRows(db: D1Database, tenantId: string, ids: string[]): Promise<ProductRow[]> {
  if (!ids.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM products WHERE tenant_id = ? AND status = 'published' AND id IN (${ids.map(() => "?").join(",")})`)
    .bind(tenantId, ...ids)
    .all<ProductRow>();
  return results;
}

/** Products the buyer holds a voucher of (whatever its status): not recommended back to them. */
export async function heldProductIds(db: D1Database, tenantId: string, buyerId: string): Promise<Set<string>> {
  const { results } = await db
    .prepare("SELECT DISTINCT product_id FROM vouchers WHERE tenant_id = ? AND holder_id = ?")
    .bind(tenantId, buyerId)
    .all<{ product_id: string }>();
  return new Set(results.map((r) => r.product_id));
}

// ?1: the hourly cut-off; ?2: now. A tenant whose last run failed or found nothing is tried again after 5 minutes,
// doubling with each miss in a row (misses), from the 5th on hourly like the others.
const DUE = `(r.attempted_at < ?1 OR ((r.last_error IS NOT NULL OR r.lists = 0)
  AND r.attempted_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?2, '-' || (5 << min(max(r.misses - 1, 0), 4)) || ' minutes')))`;

/**
 * Tenants whose cache is due: never attempted; attempted before `before`; or, when the last run failed or found
 * nothing, 5 << (misses − 1) minutes before `now`. Oldest first.
 */
export async function tenantsDue(db: D1Database, before: string, now: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT t.id FROM tenants t LEFT JOIN recommendation_runs r ON r.tenant_id = t.id
       WHERE r.attempted_at IS NULL OR ${DUE} ORDER BY r.attempted_at IS NOT NULL, r.attempted_at LIMIT ?3`,
    )
    .bind(before, now, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Claims a tenant's refresh: true when this caller moved attempted_at (two cron runs cannot both compute it). */
export async function claimRun(db: D1Database, tenantId: string, now: string, before: string): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO recommendation_runs AS r (tenant_id, attempted_at) VALUES (?3, ?2)
       ON CONFLICT (tenant_id) DO UPDATE SET attempted_at = excluded.attempted_at WHERE ${DUE}`,
    )
    .bind(before, now, tenantId)
    .run();
  return r.meta.changes > 0;
}

/** Marks an on-demand attempt (the operator's refresh), whatever the schedule says. */
export async function markAttempt(db: D1Database, tenantId: string, now: string) {
  await db
    .prepare(`INSERT INTO recommendation_runs (tenant_id, attempted_at) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET attempted_at = excluded.attempted_at`)
    .bind(tenantId, now)
    .run();
}

export async function recordRunError(db: D1Database, tenantId: string, error: string) {
  await db.prepare("UPDATE recommendation_runs SET last_error = ?, misses = misses + 1 WHERE tenant_id = ?").bind(error.slice(0, 500), tenantId).run();
}

export interface CacheRow { kind: RecommendationKind; subjectId: string; items: ScoredProduct[] }

const CHUNK = 100;

/**
 * Writes a run: every row upserted with the new run id (in chunks), then rows of older runs deleted and the run
 * recorded. Until the last batch, readers see the previous run's rows (or, mid-write, some of each) — never nothing.
 */
export async function writeRun(db: D1Database, tenantId: string, runId: string, now: string, rows: CacheRow[], lists: number) {
  const upsert = (r: CacheRow) =>
    db
      .prepare(
        `INSERT INTO recommendations (tenant_id, kind, subject_id, items, run_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, kind, subject_id) DO UPDATE SET items = excluded.items, run_id = excluded.run_id`,
      )
      .bind(tenantId, r.kind, r.subjectId, JSON.stringify(r.items), runId);
  for (let i = 0; i < rows.length; i += CHUNK) await db.batch(rows.slice(i, i + CHUNK).map(upsert));
  await db.batch([
    db.prepare("DELETE FROM recommendations WHERE tenant_id = ? AND run_id != ?").bind(tenantId, runId),
    db
      .prepare(
        `INSERT INTO recommendation_runs AS r (tenant_id, run_id, computed_at, attempted_at, last_error, lists, misses) VALUES (?1, ?2, ?3, ?3, NULL, ?4, ?4 = 0)
         ON CONFLICT (tenant_id) DO UPDATE SET run_id = excluded.run_id, computed_at = excluded.computed_at, last_error = NULL, lists = excluded.lists,
           misses = CASE WHEN excluded.lists = 0 THEN r.misses + 1 ELSE 0 END`,
      )
      .bind(tenantId, runId, now, lists),
  ]);
}
