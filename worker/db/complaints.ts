import type { Complaint, CompensationPolicy } from "../../schema/compensation";
import { COMPENSATION } from "../domain/compensation";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface ComplaintRow {
  id: string;
  tenant_id: string;
  voucher_id: string;
  voucher_code: string;
  holder_id: string;
  product_id: string;
  problem: Complaint["problem"];
  note: string;
  policy: CompensationPolicy;
  status: Complaint["status"];
  replacement_voucher_id: string | null;
  replacement_code: string | null;
  refund_cents: number | null;
  created_at: string;
  resolved_at: string | null;
  escalation: Complaint["escalation"];
}

export const toComplaint = (r: ComplaintRow): Complaint => ({
  id: r.id,
  voucherCode: r.voucher_code,
  productId: r.product_id,
  problem: r.problem,
  note: r.note,
  status: r.status,
  policy: r.policy,
  replacementCode: r.replacement_code,
  refundCents: r.refund_cents,
  createdAt: r.created_at,
  resolvedAt: r.resolved_at,
  escalation: r.escalation ?? null,
});

/** The most specific policy row (the product's, else the brand's), with its replacement limit. */
export async function policyFor(db: D1Database, tenantId: string, productId: string): Promise<{ policy: CompensationPolicy; maxReplacements: number }> {
  const r = await db
    .prepare(
      "SELECT policy, max_replacements FROM compensation_policies WHERE tenant_id = ? AND product_id IN (?, '*') ORDER BY product_id = '*' LIMIT 1",
    )
    .bind(tenantId, productId)
    .first<{ policy: CompensationPolicy; max_replacements: number }>();
  return { policy: r?.policy ?? "manual", maxReplacements: r?.max_replacements ?? COMPENSATION.maxReplacements };
}

/** Sets the policy; `maxReplacements` null keeps the row's current limit (the default for a new row). */
export async function setPolicy(db: D1Database, tenantId: string, productId: string | null, policy: CompensationPolicy, maxReplacements: number | null = null) {
  await db
    .prepare(
      `INSERT INTO compensation_policies (tenant_id, product_id, policy, max_replacements) VALUES (?, ?, ?, coalesce(?, ?))
       ON CONFLICT DO UPDATE SET policy = excluded.policy, max_replacements = coalesce(?, max_replacements)`,
    )
    .bind(tenantId, productId ?? "*", policy, maxReplacements, COMPENSATION.maxReplacements, maxReplacements)
    .run();
}

export async function listPolicies(db: D1Database, tenantId: string) {
  const { results } = await db
    .prepare("SELECT product_id, policy, max_replacements FROM compensation_policies WHERE tenant_id = ?")
    .bind(tenantId)
    .all<{ product_id: string; policy: CompensationPolicy; max_replacements: number }>();
  return results;
}

/**
 * How many replacements lead from the original voucher to this one (0 for an original): a complaint's and a ticket's
 * 补发 alike, followed through each replacement's `meta.replaces` (both write it). Counting complaints alone let a
 * ticket's replacement start the count again, so each 补发 by hand was followed by one more automatic key.
 */
export async function replacementDepth(db: D1Database, tenantId: string, voucherId: string): Promise<number> {
  const r = await db
    .prepare(
      `WITH RECURSIVE chain(voucher_id, depth) AS (
         SELECT ?, 0
         UNION ALL
         SELECT json_extract(v.meta, '$.replaces'), chain.depth + 1 FROM vouchers v JOIN chain ON v.tenant_id = ? AND v.id = chain.voucher_id
         WHERE json_extract(v.meta, '$.replaces') IS NOT NULL AND chain.depth < 100
       )
       SELECT max(depth) AS depth FROM chain`,
    )
    .bind(voucherId, tenantId)
    .first<{ depth: number }>();
  return r?.depth ?? 0;
}

/** One holder's reports since `since`: how many, and over how many distinct orders (a replacement keeps its order). */
export async function countHolderReports(db: D1Database, tenantId: string, holderId: string, since: string) {
  const r = await db
    .prepare(
      `SELECT count(*) AS complaints, count(DISTINCT coalesce(v.order_id, v.id)) AS orders
       FROM complaints c JOIN vouchers v ON v.tenant_id = c.tenant_id AND v.id = c.voucher_id
       WHERE c.tenant_id = ? AND c.holder_id = ? AND c.created_at >= ?`,
    )
    .bind(tenantId, holderId, since)
    .first<{ complaints: number; orders: number }>();
  return { complaints: r?.complaints ?? 0, orders: r?.orders ?? 0 };
}

/** Inserts the complaint unless this voucher already has one; returns the stored one either way. */
export async function insertComplaint(
  db: D1Database,
  c: Pick<ComplaintRow, "id" | "tenant_id" | "voucher_id" | "voucher_code" | "holder_id" | "product_id" | "problem" | "note" | "policy" | "escalation">,
  /** Run in the same batch (e.g. the report's event rows, guarded on this complaint id). */
  also: D1PreparedStatement[] = [],
) {
  await db.batch([
    db
      .prepare(
        `INSERT INTO complaints (id, tenant_id, voucher_id, voucher_code, holder_id, product_id, problem, note, policy, escalation)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, voucher_id) DO NOTHING`,
      )
      .bind(c.id, c.tenant_id, c.voucher_id, c.voucher_code, c.holder_id, c.product_id, c.problem, c.note, c.policy, c.escalation),
    ...also,
  ]);
  return (await db.prepare("SELECT * FROM complaints WHERE tenant_id = ? AND voucher_id = ?").bind(c.tenant_id, c.voucher_id).first<ComplaintRow>())!;
}

/** Holds inside a batch while complaint `id` exists with this status (for the event rows of a guarded change). */
export const complaintIs = (tenantId: string, id: string, status: string) => ({
  sql: "EXISTS (SELECT 1 FROM complaints WHERE tenant_id = ? AND id = ? AND status = ?)",
  args: [tenantId, id, status],
});

export function getComplaint(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM complaints WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<ComplaintRow>();
}

/** Closes an open complaint; returns null when someone else closed it first. */
export function resolveComplaintStmt(
  db: D1Database,
  tenantId: string,
  id: string,
  to: { status: "replaced" | "refunded" | "rejected"; replacementVoucherId?: string | null; replacementCode?: string | null; refundCents?: number | null },
  guard?: SqlGuard,
) {
  return db
    .prepare(
      `UPDATE complaints SET status = ?, replacement_voucher_id = ?, replacement_code = ?, refund_cents = ?,
         resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status = 'open' AND ${guardSql(guard)} RETURNING *`,
    )
    .bind(to.status, to.replacementVoucherId ?? null, to.replacementCode ?? null, to.refundCents ?? null, tenantId, id, ...guardArgs(guard));
}

export async function listComplaints(db: D1Database, tenantId: string, status?: string) {
  const { results } = await db
    .prepare(`SELECT * FROM complaints WHERE tenant_id = ? ${status ? "AND status = ?" : ""} ORDER BY created_at DESC LIMIT 200`)
    .bind(tenantId, ...(status ? [status] : []))
    .all<ComplaintRow>();
  return results;
}

export function complaintOfVoucher(db: D1Database, tenantId: string, voucherId: string) {
  return db.prepare("SELECT * FROM complaints WHERE tenant_id = ? AND voucher_id = ?").bind(tenantId, voucherId).first<ComplaintRow>();
}

/** Saves (or replaces) a holder's rating; `also` (its event row) runs in the same transaction. */
export async function upsertRating(
  db: D1Database,
  r: { tenantId: string; voucherId: string; voucherCode: string; holderId: string; productId: string; stars: number; comment: string },
  also: D1PreparedStatement[] = [],
) {
  const [saved] = await db.batch([
    db
      .prepare(
        `INSERT INTO voucher_ratings (tenant_id, voucher_id, voucher_code, holder_id, product_id, stars, comment) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, voucher_id) DO UPDATE SET stars = excluded.stars, comment = excluded.comment,
           created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         RETURNING voucher_code, product_id, stars, comment, created_at`,
      )
      .bind(r.tenantId, r.voucherId, r.voucherCode, r.holderId, r.productId, r.stars, r.comment),
    ...also,
  ]);
  return saved!.results[0] as { voucher_code: string; product_id: string; stars: number; comment: string; created_at: string };
}

/** Counts behind the integrity index, since `since`. */
export async function integrityCounts(db: D1Database, tenantId: string, since: string, countedRefusals: readonly string[]) {
  const [issued, complaints, redemptions, ratings] = await db.batch<Record<string, number | null>>([
    db.prepare("SELECT count(*) AS n FROM vouchers WHERE tenant_id = ? AND issued_at >= ?").bind(tenantId, since),
    db
      .prepare("SELECT count(*) AS n, sum(status IN ('replaced', 'refunded')) AS compensated FROM complaints WHERE tenant_id = ? AND created_at >= ?")
      .bind(tenantId, since),
    db
      .prepare(
        `SELECT count(*) AS n, sum(outcome = 'succeeded') AS ok FROM redemptions
         WHERE tenant_id = ? AND created_at >= ? AND voucher_id IS NOT NULL AND reversed_at IS NULL
           AND (outcome = 'succeeded' OR reason IN (SELECT value FROM json_each(?)))`,
      )
      .bind(tenantId, since, JSON.stringify(countedRefusals)),
    db.prepare("SELECT count(*) AS n, avg(stars) AS avg FROM voucher_ratings WHERE tenant_id = ? AND created_at >= ?").bind(tenantId, since),
  ]);
  const row = (r: D1Result<Record<string, number | null>> | undefined) => r?.results[0] ?? {};
  return {
    vouchersIssued: row(issued).n ?? 0,
    complaints: row(complaints).n ?? 0,
    compensated: row(complaints).compensated ?? 0,
    redemptionAttempts: row(redemptions).n ?? 0,
    redemptionSuccesses: row(redemptions).ok ?? 0,
    ratings: row(ratings).n ?? 0,
    ratingAverage: row(ratings).avg ?? null,
  };
}

/** A refund that did not go through: the complaint is open again for the brand to handle by hand. */
export function reopenComplaintStmt(db: D1Database, tenantId: string, id: string) {
  return db.prepare("UPDATE complaints SET status = 'open', refund_cents = NULL, resolved_at = NULL WHERE tenant_id = ? AND id = ?").bind(tenantId, id);
}
