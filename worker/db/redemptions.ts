import type { RiskEvent } from "../../schema/redemptions";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface RedemptionRow {
  id: string;
  tenant_id: string;
  api_key_id: string;
  idempotency_key: string;
  request_hash: string;
  outcome: "succeeded" | "failed";
  reason: string | null;
  http_status: number;
  response: string;
  voucher_id: string | null;
  voucher_code: string | null;
  holder_id: string | null;
  title: string | null;
  store_id: string | null;
  source_ip: string | null;
  created_at: string;
  reversed_at?: string | null;
  reversed_by?: string | null;
  reversal_reason?: string | null;
  reversal_idempotency_key?: string | null;
  reversal_id?: string | null;
}

export type NewRedemptionRow = Omit<RedemptionRow, "created_at" | `reversal_${string}` | `reversed_${string}`>;

const COLS = `id, tenant_id, api_key_id, idempotency_key, request_hash, outcome, reason, http_status, response, voucher_id,
  voucher_code, holder_id, title, store_id, source_ip, created_at`;
const values = (r: NewRedemptionRow & { created_at: string }) => [
  r.id, r.tenant_id, r.api_key_id, r.idempotency_key, r.request_hash, r.outcome, r.reason, r.http_status, r.response,
  r.voucher_id, r.voucher_code, r.holder_id, r.title, r.store_id, r.source_ip, r.created_at,
];

export function findByIdempotencyKey(db: D1Database, tenantId: string, apiKeyId: string, key: string) {
  return db
    .prepare("SELECT * FROM redemptions WHERE tenant_id = ? AND api_key_id = ? AND idempotency_key = ?")
    .bind(tenantId, apiKeyId, key)
    .first<RedemptionRow>();
}

/**
 * The one atomic step of a redemption: flip the voucher issued → redeemed and record the success, in one D1
 * transaction. The conditional UPDATE is the arbiter under concurrency (D1 runs batches one at a time): exactly
 * one caller sees changes = 1; the INSERT only happens in that caller's batch. Returns whether this call won.
 */
export async function redeemAtomically(
  db: D1Database, row: NewRedemptionRow & { created_at: string }, reversals: number, also: D1PreparedStatement[] = [],
): Promise<boolean> {
  // `reversals` as read: a reversal in between would otherwise give this redemption the event id of the one undone.
  const [update] = await db.batch([
    db
      .prepare(`UPDATE vouchers SET status = 'redeemed', status_changed_at = ? WHERE tenant_id = ? AND id = ? AND status = 'issued' AND reversals = ?`)
      .bind(row.created_at, row.tenant_id, row.voucher_id, reversals),
    db
      .prepare(
        `INSERT INTO redemptions (${COLS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
         WHERE changes() = 1 AND NOT EXISTS (SELECT 1 FROM redemptions WHERE tenant_id = ? AND voucher_id = ? AND outcome = 'succeeded' AND reversed_at IS NULL)`,
      )
      .bind(...values(row), row.tenant_id, row.voucher_id),
    ...also,
  ]);
  return (update?.meta.changes ?? 0) === 1;
}

/** Records a refused attempt; false when a concurrent twin with the same Idempotency-Key was stored first. */
export async function insertFailedAttempt(db: D1Database, row: NewRedemptionRow & { created_at: string }, also: D1PreparedStatement[] = []): Promise<boolean> {
  const [r] = await db.batch([
    db.prepare(`INSERT INTO redemptions (${COLS}) VALUES (${Array(16).fill("?").join(", ")}) ON CONFLICT DO NOTHING`).bind(...values(row)),
    ...also,
  ]);
  return r!.meta.changes > 0;
}

export function successfulRedemption(db: D1Database, tenantId: string, voucherId: string) {
  return db
    .prepare(
      `SELECT r.*, s.name AS store_name FROM redemptions r LEFT JOIN stores s ON s.tenant_id = r.tenant_id AND s.id = r.store_id
       WHERE r.tenant_id = ? AND r.voucher_id = ? AND r.outcome = 'succeeded' AND r.reversed_at IS NULL`,
    )
    .bind(tenantId, voucherId)
    .first<RedemptionRow & { store_name: string | null }>();
}

export async function listAttempts(
  db: D1Database,
  tenantId: string,
  q: { storeId?: string; outcome?: "succeeded" | "failed"; limit: number },
) {
  const where = ["r.tenant_id = ?"];
  const args: unknown[] = [tenantId];
  if (q.storeId) {
    where.push("r.store_id = ?");
    args.push(q.storeId);
  }
  if (q.outcome) {
    where.push("r.outcome = ?");
    args.push(q.outcome);
  }
  const { results } = await db
    .prepare(
      `SELECT r.*, s.name AS store_name FROM redemptions r LEFT JOIN stores s ON s.tenant_id = r.tenant_id AND s.id = r.store_id
       WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC LIMIT ?`,
    )
    .bind(...args, q.limit)
    .all<RedemptionRow & { store_name: string | null }>();
  return results;
}

/** Status of vouchers by public code across tenants (codes are unguessable capabilities), with where redeemed. */
export async function voucherStatuses(db: D1Database, codes: string[]) {
  const { results } = await db
    .prepare(
      `SELECT v.code, v.status, v.status_changed_at, r.created_at AS redeemed_at, s.name AS store_name
       FROM vouchers v
       LEFT JOIN redemptions r ON r.tenant_id = v.tenant_id AND r.voucher_id = v.id AND r.outcome = 'succeeded' AND r.reversed_at IS NULL
       LEFT JOIN stores s ON s.tenant_id = r.tenant_id AND s.id = r.store_id
       WHERE v.code IN (${codes.map(() => "?").join(",")})`,
    )
    .bind(...codes)
    .all<{ code: string; status: string; status_changed_at: string | null; redeemed_at: string | null; store_name: string | null }>();
  return results;
}

/** Successful redemptions since `since` (one store, or all; an undone one does not count), with the face values and discounts from their answers. */
export async function sumSuccesses(db: D1Database, tenantId: string, storeId: string | null, since: string) {
  const r = await db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(json_extract(response, '$.faceValueCents')), 0) AS face,
              coalesce(sum(json_extract(response, '$.discountCents')), 0) AS discount
       FROM redemptions WHERE tenant_id = ? AND outcome = 'succeeded' AND reversed_at IS NULL AND created_at >= ? ${storeId ? "AND store_id = ?" : ""}`,
    )
    .bind(tenantId, since, ...(storeId ? [storeId] : []))
    .first<{ n: number; face: number; discount: number }>();
  return { count: r?.n ?? 0, faceValueCents: r?.face ?? 0, discountCents: r?.discount ?? 0 };
}

/** One redemption attempt of the tenant, with its store's name. */
export function getRedemption(db: D1Database, tenantId: string, id: string) {
  return db
    .prepare(
      `SELECT r.*, s.name AS store_name FROM redemptions r LEFT JOIN stores s ON s.tenant_id = r.tenant_id AND s.id = r.store_id
       WHERE r.tenant_id = ? AND r.id = ?`,
    )
    .bind(tenantId, id)
    .first<RedemptionRow & { store_name: string | null }>();
}

export interface ReversalRow {
  tenantId: string;
  redemptionId: string;
  voucherId: string;
  reversalId: string;
  at: string;
  by: string;
  reason: string;
  idempotencyKey: string;
  /** The earliest redemption time still inside the window. */
  windowStart: string;
  /** The voucher's reversals as read; its status afterwards (issued, or expired when its window closed meanwhile). */
  reversals: number;
  voucherStatus: "issued" | "expired";
}

/**
 * 撤销核销's two changes, each guarded on the other so they apply together or not at all: the redemption marked
 * reversed (still live, inside the window, its voucher still redeemed with the reversals read), then the voucher back
 * to usable — only when that row now carries this reversal's id. A concurrent second reversal changes nothing.
 */
export function reverseStmts(db: D1Database, r: ReversalRow): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE redemptions SET reversed_at = ?, reversed_by = ?, reversal_reason = ?, reversal_idempotency_key = ?, reversal_id = ?
         WHERE tenant_id = ? AND id = ? AND outcome = 'succeeded' AND reversed_at IS NULL AND created_at >= ?
           AND EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = 'redeemed' AND reversals = ?)`,
      )
      .bind(r.at, r.by, r.reason, r.idempotencyKey, r.reversalId, r.tenantId, r.redemptionId, r.windowStart, r.tenantId, r.voucherId, r.reversals),
    db
      .prepare(
        `UPDATE vouchers SET status = ?, status_changed_at = ?, reversals = reversals + 1
         WHERE tenant_id = ? AND id = ? AND status = 'redeemed' AND reversals = ? AND ${guardSql(reversedBy(r))}`,
      )
      .bind(r.voucherStatus, r.at, r.tenantId, r.voucherId, r.reversals, ...guardArgs(reversedBy(r))),
  ];
}

/** Holds inside a batch once the redemption carries this reversal (for the reversal's event, audit and points rows). */
export const reversedBy = (r: Pick<ReversalRow, "tenantId" | "redemptionId" | "reversalId">): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM redemptions WHERE tenant_id = ? AND id = ? AND reversal_id = ?)",
  args: [r.tenantId, r.redemptionId, r.reversalId],
});

// ---- monitoring counts ----

export async function countStoreSuccesses(db: D1Database, tenantId: string, storeId: string, since: string, until?: string) {
  const r = await db
    .prepare(
      `SELECT count(*) AS n FROM redemptions WHERE tenant_id = ? AND store_id = ? AND outcome = 'succeeded' AND created_at >= ?
       ${until ? "AND created_at < ?" : ""}`,
    )
    .bind(tenantId, storeId, since, ...(until ? [until] : []))
    .first<{ n: number }>();
  return r?.n ?? 0;
}

export async function countHolderStores(db: D1Database, tenantId: string, holderId: string, since: string) {
  const r = await db
    .prepare(
      `SELECT count(DISTINCT store_id) AS n FROM redemptions WHERE tenant_id = ? AND holder_id = ? AND outcome = 'succeeded' AND created_at >= ?`,
    )
    .bind(tenantId, holderId, since)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

export async function countKeyFailures(db: D1Database, tenantId: string, apiKeyId: string, since: string) {
  const r = await db
    .prepare(
      `SELECT count(*) AS n FROM redemptions WHERE tenant_id = ? AND api_key_id = ? AND outcome = 'failed'
       AND reason = 'voucher_not_found' AND created_at >= ?`,
    )
    .bind(tenantId, apiKeyId, since)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

/** Inserts a risk event once per (kind, subject, window); returns it when new. */
/** Records a risk decision once per kind + subject + window; `also` (its event rows, guard `changes() = 1`) right after it. */
export async function insertRiskEvent(
  db: D1Database,
  tenantId: string,
  e: { id: string; kind: RiskEvent["kind"]; subject: string; windowStart: string; detail: RiskEvent["detail"]; action: string | null },
  also: D1PreparedStatement[] = [],
): Promise<boolean> {
  const [r] = await db.batch([
    db
      .prepare(
        `INSERT INTO risk_events (id, tenant_id, kind, subject, window_start, detail, action) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .bind(e.id, tenantId, e.kind, e.subject, e.windowStart, JSON.stringify(e.detail), e.action),
    ...also,
  ]);
  return r!.meta.changes > 0;
}

export async function listRiskEvents(db: D1Database, tenantId: string, limit = 100): Promise<RiskEvent[]> {
  const { results } = await db
    .prepare("SELECT * FROM risk_events WHERE tenant_id = ? ORDER BY created_at DESC LIMIT ?")
    .bind(tenantId, limit)
    .all<{ id: string; kind: RiskEvent["kind"]; subject: string; detail: string; action: string | null; created_at: string }>();
  return results.map((r) => ({ id: r.id, kind: r.kind, subject: r.subject, detail: JSON.parse(r.detail) as RiskEvent["detail"], action: r.action, createdAt: r.created_at }));
}
