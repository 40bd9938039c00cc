/**
 * Coupons at checkout (issue 19): held coupons, budgets (schema/d1/0170 coupon_budgets), the order's coupons
 * (order_coupons) and the statements that apply, return and count them inside other batches.
 */
import type { CouponBudget } from "../../schema/catalog";
import type { z } from "@hono/zod-openapi";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export interface HeldCouponRow {
  id: string;
  product_id: string;
  title: string;
  status: string;
  valid_from: string;
  valid_to: string | null;
  config: string;
}

/** A buyer's usable coupons of this brand (issued, not expired), soonest expiry first. */
export function heldCouponsStmt(db: D1Database, tenantId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT v.id, v.product_id, v.title, v.status, v.valid_from, v.valid_to, p.config FROM vouchers v
       JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
       WHERE v.tenant_id = ? AND v.holder_id = ? AND v.kind = 'coupon' AND v.status = 'issued'
         AND (v.valid_to IS NULL OR v.valid_to > ${NOW})
       ORDER BY COALESCE(v.valid_to, '9999'), v.id LIMIT 100`,
    )
    .bind(tenantId, buyerId);
}

export interface BudgetRow {
  product_id: string;
  max_count: number | null;
  max_cents: number | null;
  issued_count: number;
  applied_count: number;
  applied_cents: number;
  exhausted_at: string | null;
}

export async function budgetsOf(db: D1Database, tenantId: string, productIds: string[]): Promise<BudgetRow[]> {
  if (!productIds.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM coupon_budgets WHERE tenant_id = ? AND product_id IN (${productIds.map(() => "?").join(",")})`)
    .bind(tenantId, ...productIds.slice(0, 90))
    .all<BudgetRow>();
  return results;
}

/** Sets a coupon product's budget (the counters stay). */
export function upsertBudgetStmt(db: D1Database, tenantId: string, productId: string, b: z.output<typeof CouponBudget>) {
  return db
    .prepare(
      `INSERT INTO coupon_budgets (tenant_id, product_id, max_count, max_cents) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, product_id) DO UPDATE SET max_count = excluded.max_count, max_cents = excluded.max_cents,
         exhausted_at = CASE WHEN (excluded.max_count IS NULL OR issued_count < excluded.max_count)
                              AND (excluded.max_cents IS NULL OR applied_cents < excluded.max_cents) THEN NULL ELSE exhausted_at END`,
    )
    .bind(tenantId, productId, b.maxCount ?? null, b.maxCents ?? null);
}

export interface ApplyCoupon {
  voucherId: string;
  productId: string;
  kind: string;
  discountCents: number;
}

const appliedRow = (orderId: string, voucherId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM order_coupons WHERE order_id = ? AND voucher_id = ? AND state = 'applied')",
  args: [orderId, voucherId],
});

/**
 * Statements applying one coupon (after making sure its budget row exists) to a just-placed order: the order_coupons row (only while the voucher is
 * issued to this buyer, valid, and the budget has room — and `guard`), then the budget and the voucher moved only if
 * that row went in. A concurrent order on the same voucher finds it redeemed (or the live unique index) and gets none.
 */
export function applyCouponStmts(db: D1Database, tenantId: string, orderId: string, buyerId: string, c: ApplyCoupon, guard: SqlGuard): D1PreparedStatement[] {
  const row = appliedRow(orderId, c.voucherId);
  return [
    db.prepare("INSERT INTO coupon_budgets (tenant_id, product_id) VALUES (?, ?) ON CONFLICT DO NOTHING").bind(tenantId, c.productId),
    db
      .prepare(
        `INSERT INTO order_coupons (tenant_id, order_id, voucher_id, coupon_product_id, coupon_kind, discount_cents)
         SELECT ?, ?, ?, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND holder_id = ? AND kind = 'coupon' AND product_id = ?
                         AND status = 'issued' AND valid_from <= ${NOW} AND (valid_to IS NULL OR valid_to > ${NOW}))
           AND NOT EXISTS (SELECT 1 FROM coupon_budgets WHERE tenant_id = ? AND product_id = ? AND max_cents IS NOT NULL AND applied_cents + ? > max_cents)
           AND ${guardSql(guard)}
         ON CONFLICT DO NOTHING`,
      )
      .bind(tenantId, orderId, c.voucherId, c.productId, c.kind, c.discountCents, tenantId, c.voucherId, buyerId, c.productId,
        tenantId, c.productId, c.discountCents, ...guardArgs(guard)),
    db
      .prepare(
        `UPDATE coupon_budgets SET applied_count = applied_count + 1, applied_cents = applied_cents + ?,
           exhausted_at = CASE WHEN max_cents IS NOT NULL AND applied_cents + ? >= max_cents THEN COALESCE(exhausted_at, ${NOW}) ELSE exhausted_at END
         WHERE tenant_id = ? AND product_id = ? AND ${guardSql(row)}`,
      )
      .bind(c.discountCents, c.discountCents, tenantId, c.productId, ...guardArgs(row)),
    db
      .prepare(
        `UPDATE vouchers SET status = 'redeemed', status_changed_at = ${NOW}, meta = json_set(meta, '$.appliedOrderId', ?)
         WHERE tenant_id = ? AND id = ? AND status = 'issued' AND ${guardSql(row)}`,
      )
      .bind(orderId, tenantId, c.voucherId, ...guardArgs(row)),
  ];
}
/** Statements per coupon; the order_coupons insert is the second. */
export const APPLY_STMTS_PER_COUPON = 4;

export const couponAppliedGuard = appliedRow;

/** All of an order's chosen coupons applied (for the payment's guard). */
export const allCouponsApplied = (orderId: string, n: number): SqlGuard => ({
  sql: "(SELECT COUNT(*) FROM order_coupons WHERE order_id = ? AND state = 'applied') = ?",
  args: [orderId, n],
});

export interface OrderCouponRow {
  order_id: string;
  voucher_id: string;
  coupon_product_id: string;
  coupon_kind: string;
  discount_cents: number;
  state: "applied" | "returned" | "spent";
  title?: string | null;
}

export function orderCouponsStmt(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare(
      `SELECT oc.*, v.title FROM order_coupons oc LEFT JOIN vouchers v ON v.tenant_id = oc.tenant_id AND v.id = oc.voucher_id
       WHERE oc.tenant_id = ? AND oc.order_id = ? ORDER BY oc.created_at, oc.voucher_id`,
    )
    .bind(tenantId, orderId);
}

export async function appliedCouponsOf(db: D1Database, tenantId: string, orderId: string): Promise<OrderCouponRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM order_coupons WHERE tenant_id = ? AND order_id = ? AND state = 'applied'")
    .bind(tenantId, orderId)
    .all<OrderCouponRow>();
  return results;
}

/**
 * An order's applied coupons given back (guarded on `guard`, e.g. the order now closed): a still-valid voucher goes
 * back to issued, the budget gets its cents back, and each row moves once — to 'returned' or (expired) 'spent'.
 */
export function returnCouponsStmts(db: D1Database, tenantId: string, orderId: string, guard?: SqlGuard): D1PreparedStatement[] {
  const live = "SELECT voucher_id FROM order_coupons WHERE tenant_id = ? AND order_id = ? AND state = 'applied'";
  return [
    db
      .prepare(
        `UPDATE coupon_budgets AS b SET
           applied_count = applied_count - (SELECT COUNT(*) FROM order_coupons oc WHERE oc.tenant_id = b.tenant_id AND oc.order_id = ? AND oc.state = 'applied' AND oc.coupon_product_id = b.product_id),
           applied_cents = applied_cents - (SELECT COALESCE(SUM(discount_cents), 0) FROM order_coupons oc WHERE oc.tenant_id = b.tenant_id AND oc.order_id = ? AND oc.state = 'applied' AND oc.coupon_product_id = b.product_id),
           exhausted_at = CASE WHEN max_count IS NOT NULL AND issued_count >= max_count THEN exhausted_at ELSE NULL END
         WHERE b.tenant_id = ? AND b.product_id IN (SELECT coupon_product_id FROM order_coupons WHERE tenant_id = ? AND order_id = ? AND state = 'applied') AND ${guardSql(guard)}`,
      )
      .bind(orderId, orderId, tenantId, tenantId, orderId, ...guardArgs(guard)),
    db
      .prepare(
        `UPDATE vouchers SET status = 'issued', status_changed_at = ${NOW}, meta = json_remove(meta, '$.appliedOrderId')
         WHERE +tenant_id = ? AND id IN (${live}) AND +status = 'redeemed' AND (valid_to IS NULL OR valid_to > ${NOW}) AND ${guardSql(guard)}`,
      )
      .bind(tenantId, tenantId, orderId, ...guardArgs(guard)),
    db
      .prepare(
        `UPDATE order_coupons SET settled_at = ${NOW},
           state = CASE WHEN EXISTS (SELECT 1 FROM vouchers v WHERE v.tenant_id = order_coupons.tenant_id AND v.id = order_coupons.voucher_id AND v.status = 'issued')
                        THEN 'returned' ELSE 'spent' END
         WHERE tenant_id = ? AND order_id = ? AND state = 'applied' AND ${guardSql(guard)}`,
      )
      .bind(tenantId, orderId, ...guardArgs(guard)),
  ];
}

/** A coupon row moved to 'returned' by this order's return (guard for its coupon_returned event). */
export const couponReturnedGuard = (orderId: string, voucherId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM order_coupons WHERE order_id = ? AND voucher_id = ? AND state = 'returned')",
  args: [orderId, voucherId],
});

/**
 * Issuing coupons in a delivery: counts `quantity` against the product's count budget once per order (only with room
 * and `guard`), recorded in coupon_issues; the vouchers are inserted only under issuedGuard.
 */
export function countIssueStmts(db: D1Database, tenantId: string, orderId: string, productId: string, quantity: number, guard: SqlGuard): D1PreparedStatement[] {
  return [
    db.prepare("INSERT INTO coupon_budgets (tenant_id, product_id) VALUES (?, ?) ON CONFLICT DO NOTHING").bind(tenantId, productId),
    db
      .prepare(
        `UPDATE coupon_budgets SET issued_count = issued_count + ?,
           exhausted_at = CASE WHEN max_count IS NOT NULL AND issued_count + ? >= max_count THEN COALESCE(exhausted_at, ${NOW}) ELSE exhausted_at END
         WHERE tenant_id = ? AND product_id = ? AND (max_count IS NULL OR issued_count + ? <= max_count)
           AND NOT EXISTS (SELECT 1 FROM coupon_issues WHERE order_id = ? AND product_id = ?) AND ${guardSql(guard)}`,
      )
      .bind(quantity, quantity, tenantId, productId, quantity, orderId, productId, ...guardArgs(guard)),
    db
      .prepare("INSERT INTO coupon_issues (tenant_id, order_id, product_id, quantity) SELECT ?, ?, ?, ? WHERE changes() = 1 ON CONFLICT DO NOTHING")
      .bind(tenantId, orderId, productId, quantity),
  ];
}

export const issuedGuard = (orderId: string, productId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM coupon_issues WHERE order_id = ? AND product_id = ?)",
  args: [orderId, productId],
});

/** The count budget is spent (no room for `quantity` more). */
export async function countBudgetSpent(db: D1Database, tenantId: string, productId: string, quantity: number): Promise<boolean> {
  const r = await db
    .prepare("SELECT 1 AS y FROM coupon_budgets WHERE tenant_id = ? AND product_id = ? AND max_count IS NOT NULL AND issued_count + ? > max_count")
    .bind(tenantId, productId, quantity)
    .first<{ y: number }>();
  return !!r;
}

export interface CouponBuyerFactsRow {
  signed_up_at: string | null;
  tier_id: string | null;
  birthday: string | null;
  /** The member's own city (members.city, migration 0174); the edge location is the fallback. */
  city: string | null;
  paid_orders: number;
  segment_ids: string;
}

/** What eligibility needs of one buyer, in one statement. */
export function couponFactsStmt(db: D1Database, tenantId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT COALESCE(m.joined_at, b.created_at) AS signed_up_at, m.birthday, m.city,
         CASE WHEN m.paid_tier_id IS NOT NULL AND m.paid_until > ${NOW}
                   AND (m.tier_id IS NULL OR (SELECT rank FROM member_tiers WHERE id = m.paid_tier_id) > (SELECT rank FROM member_tiers WHERE id = m.tier_id))
              THEN m.paid_tier_id ELSE m.tier_id END AS tier_id,
         (SELECT COUNT(*) FROM orders o WHERE o.tenant_id = b.tenant_id AND o.buyer_id = b.id AND o.status IN ('paid', 'delivered')) AS paid_orders,
         (SELECT json_group_array(sm.segment_id) FROM segment_members sm
            JOIN segments s ON s.tenant_id = sm.tenant_id AND s.id = sm.segment_id AND s.current_run_id = sm.run_id
          WHERE sm.tenant_id = b.tenant_id AND sm.buyer_id = b.id) AS segment_ids
       FROM buyers b LEFT JOIN members m ON m.tenant_id = b.tenant_id AND m.buyer_id = b.id
       WHERE b.tenant_id = ? AND b.id = ?`,
    )
    .bind(tenantId, buyerId);
}

/** Did any of these coupons' money budget run out (no room for its discount)? */
export async function countBudgetSpentCents(db: D1Database, tenantId: string, applied: { productId: string; discountCents: number }[]): Promise<boolean> {
  for (const a of applied) {
    const r = await db
      .prepare("SELECT 1 AS y FROM coupon_budgets WHERE tenant_id = ? AND product_id = ? AND max_cents IS NOT NULL AND applied_cents + ? > max_cents")
      .bind(tenantId, a.productId, a.discountCents)
      .first<{ y: number }>();
    if (r) return true;
  }
  return false;
}

export async function ownsVoucher(db: D1Database, tenantId: string, buyerId: string, voucherId: string): Promise<boolean> {
  return !!(await db.prepare("SELECT 1 AS y FROM vouchers WHERE tenant_id = ? AND id = ? AND holder_id = ? AND kind = 'coupon'").bind(tenantId, voucherId, buyerId).first());
}
