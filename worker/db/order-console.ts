import type { OrderStatus } from "../../schema/orders";
import { toEntry, type EntryRow } from "./ledger";
import { REFUNDED_SQL, type OrderRow } from "./orders";
import { REFUNDED_CENTS_SQL, type PaymentRow } from "./payments";
import { CANCEL_ASK_COLUMNS, CANCEL_ASK_KEY_JOIN, type CancelAskRow } from "./suppliers";
import type { VoucherRow } from "./vouchers";

export interface SnapshotRow {
  order_id: string;
  tenant_id: string;
  product_id: string;
  name: string;
  kind: string;
  price_cents: number;
  currency: string;
  validity: string | null;
  tutorial: string;
  created_at: string;
}

/** The product as it is now, copied for this order (in the order's own batch; nothing when the order is not there). */
export function insertSnapshotStmt(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare(
      `INSERT INTO order_snapshots (order_id, tenant_id, product_id, name, kind, price_cents, currency, validity, tutorial)
       SELECT o.id, o.tenant_id, p.id, p.name, p.kind, p.price_cents, p.currency,
         CASE WHEN p.validity_kind = 'fixed' AND p.valid_from IS NOT NULL AND p.valid_to IS NOT NULL
                THEN json_object('kind', 'fixed', 'validFrom', p.valid_from, 'validTo', p.valid_to)
              WHEN p.validity_kind = 'relative' AND p.valid_days IS NOT NULL THEN json_object('kind', 'relative', 'days', p.valid_days) END,
         COALESCE(p.tutorial, '')
       FROM orders o JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       WHERE o.tenant_id = ? AND o.id = ?
       ON CONFLICT (order_id) DO NOTHING`,
    )
    .bind(tenantId, orderId);
}

export function getSnapshot(db: D1Database, tenantId: string, orderId: string) {
  return db.prepare("SELECT * FROM order_snapshots WHERE tenant_id = ? AND order_id = ?").bind(tenantId, orderId).first<SnapshotRow>();
}

export type ConsoleOrderRow = OrderRow & { product_name: string | null; phone_masked: string | null; refunded_cents: number; open_ticket: number };

export interface OrderFilter {
  orderId?: string;
  phoneHash?: string;
  productText?: string;
  status?: OrderStatus;
  productId?: string;
  from?: string;
  to?: string;
  after?: { createdAt: string; id: string } | null;
  limit: number;
}

/** One page of a tenant's orders, newest first, keyset by (created_at, id). Phone matches through its keyed hash. */
function searchStmt(db: D1Database, tenantId: string, f: OrderFilter) {
  const where = ["o.tenant_id = ?"];
  const args: unknown[] = [tenantId];
  if (f.orderId) where.push("o.id = ?"), args.push(f.orderId);
  if (f.phoneHash) where.push("o.buyer_id IN (SELECT id FROM buyers WHERE tenant_id = ? AND phone_hash = ?)"), args.push(tenantId, f.phoneHash);
  if (f.productText) where.push("(s.name LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\')"), args.push(f.productText, f.productText);
  if (f.status) where.push("o.status = ?"), args.push(f.status);
  if (f.productId) where.push("o.product_id = ?"), args.push(f.productId);
  if (f.from) where.push("o.created_at >= ?"), args.push(f.from);
  if (f.to) where.push("o.created_at < ?"), args.push(f.to);
  if (f.after) where.push("(o.created_at < ? OR (o.created_at = ? AND o.id < ?))"), args.push(f.after.createdAt, f.after.createdAt, f.after.id);
  return db
    .prepare(
      `SELECT o.*, COALESCE(s.name, p.name) AS product_name, b.phone_masked, ${REFUNDED_SQL} AS refunded_cents,
         EXISTS (SELECT 1 FROM after_sale_tickets t WHERE t.tenant_id = o.tenant_id AND t.order_id = o.id AND t.status = 'open') AS open_ticket
       FROM orders o
       LEFT JOIN order_snapshots s ON s.order_id = o.id AND s.tenant_id = o.tenant_id
       LEFT JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       LEFT JOIN buyers b ON b.tenant_id = o.tenant_id AND b.id = o.buyer_id
       WHERE ${where.join(" AND ")}
       ORDER BY o.created_at DESC, o.id DESC LIMIT ?`,
    )
    .bind(...args, f.limit);
}

/** More products than this matching a text: the text is common, so walking the orders newest first finds a page soon. */
const NAMED_PRODUCTS_MAX = 20;

/** Products whose name now, or a name they were sold under (sold_product_names, 0205), matches the LIKE pattern. */
function productsNamedStmt(db: D1Database, tenantId: string, pattern: string) {
  return db
    .prepare(
      `SELECT id FROM products WHERE tenant_id = ?1 AND name LIKE ?2 ESCAPE '\\'
       UNION SELECT product_id FROM sold_product_names WHERE tenant_id = ?1 AND name LIKE ?2 ESCAPE '\\' LIMIT ?3`,
    )
    .bind(tenantId, pattern, NAMED_PRODUCTS_MAX + 1);
}

const newestFirst = (a: ConsoleOrderRow, b: ConsoleOrderRow) =>
  a.created_at === b.created_at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.created_at < b.created_at ? 1 : -1;

/**
 * A product text first finds the products it can match (a few rows), then reads each one's orders through
 * orders_console_product, newest first, and merges the pages: it reads the matches, not the brand's orders. Only a
 * text matching many products walks the orders (it matches often, so a page fills soon).
 */
export async function searchOrders(db: D1Database, tenantId: string, f: OrderFilter): Promise<ConsoleOrderRow[]> {
  if (!f.productText || f.productId || f.orderId) return (await searchStmt(db, tenantId, f).all<ConsoleOrderRow>()).results;
  const { results: named } = await productsNamedStmt(db, tenantId, f.productText).all<{ id: string }>();
  if (named.length === 0) return [];
  if (named.length > NAMED_PRODUCTS_MAX) return (await searchStmt(db, tenantId, f).all<ConsoleOrderRow>()).results;
  const pages = await db.batch<ConsoleOrderRow>(named.map((p) => searchStmt(db, tenantId, { ...f, productId: p.id })));
  return pages.flatMap((r) => r.results).sort(newestFirst).slice(0, f.limit);
}

export type PaymentRecordRow = PaymentRow & { reason: string | null; refund_of: string | null };

/** Everything the order detail shows, in one round trip. */
export async function orderDetailRows(db: D1Database, tenantId: string, orderId: string) {
  const [o, s, p, pay, att, v, phone, waiting, balance] = await db.batch([
    db.prepare("SELECT * FROM orders WHERE tenant_id = ? AND id = ?").bind(tenantId, orderId),
    db.prepare("SELECT * FROM order_snapshots WHERE tenant_id = ? AND order_id = ?").bind(tenantId, orderId),
    db.prepare("SELECT p.* FROM products p JOIN orders o ON o.tenant_id = p.tenant_id AND o.product_id = p.id WHERE o.tenant_id = ? AND o.id = ?").bind(tenantId, orderId),
    db.prepare("SELECT * FROM payments WHERE tenant_id = ? AND order_id = ? ORDER BY +created_at, id").bind(tenantId, orderId),
    db.prepare(
      `SELECT a.*, s.name AS supplier_name FROM supplier_attempts a LEFT JOIN suppliers s ON s.id = a.supplier_id AND s.tenant_id = a.tenant_id
       WHERE a.tenant_id = ? AND a.order_id = ? ORDER BY a.created_at`,
    ).bind(tenantId, orderId),
    db.prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND order_id = ? ORDER BY +source_key").bind(tenantId, orderId),
    db.prepare("SELECT b.phone_masked FROM buyers b JOIN orders o ON o.tenant_id = b.tenant_id AND o.buyer_id = b.id WHERE o.tenant_id = ? AND o.id = ?").bind(tenantId, orderId),
    db.prepare(
      `SELECT so.supplier_id, s.name AS supplier_name, so.supplier_ref, so.created_at, ${CANCEL_ASK_COLUMNS} FROM supplier_orders so
       LEFT JOIN suppliers s ON s.id = so.supplier_id AND s.tenant_id = so.tenant_id ${CANCEL_ASK_KEY_JOIN}
       WHERE so.tenant_id = ? AND so.order_id = ? AND so.status = 'pending' ORDER BY so.created_at`,
    ).bind(tenantId, orderId),
    // The part paid from the member's stored-value balance, and its return (one of each at most: UNIQUE per kind).
    db.prepare(
      `SELECT id, kind, principal_delta + bonus_delta AS delta, created_at FROM stored_value_movements
       WHERE tenant_id = ? AND kind IN ('spent', 'returned') AND source_kind = 'order' AND source_id = ?`,
    ).bind(tenantId, orderId),
  ]);
  return {
    order: o!.results[0] as OrderRow | undefined,
    snapshot: s!.results[0] as SnapshotRow | undefined,
    product: p!.results[0] as Record<string, unknown> | undefined,
    payments: pay!.results as PaymentRecordRow[],
    attempts: att!.results as { supplier_id: string; supplier_name: string | null; outcome: string; latency_ms: number; detail: string | null; created_at: string }[],
    vouchers: v!.results as VoucherRow[],
    phoneMasked: (phone!.results[0] as { phone_masked: string | null } | undefined)?.phone_masked ?? null,
    waiting: waiting!.results as (CancelAskRow & { supplier_name: string | null; supplier_ref: string | null; created_at: string })[],
    balance: balance!.results as { id: string; kind: "spent" | "returned"; delta: number; created_at: string }[],
  };
}

/**
 * Ledger entries about these vouchers (the order's rights and their replacements), in chain order. `+seq`: sorting
 * the few entries found through ledger_entries_subject, not walking the brand's whole ledger in seq order (which
 * SQLite chose for two ids or more).
 */
export async function ledgerRowsOfSubjects(db: D1Database, tenantId: string, subjectIds: string[]) {
  if (!subjectIds.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM ledger_entries WHERE tenant_id = ? AND subject_id IN (${subjectIds.slice(0, 90).map(() => "?").join(",")}) ORDER BY +seq LIMIT 500`)
    .bind(tenantId, ...subjectIds.slice(0, 90))
    .all<EntryRow>();
  return results.map(toEntry);
}

/** What can still be refunded: the succeeded charge minus refunds that succeeded or are in flight. */
export async function refundableOf(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare(
      `SELECT c.id AS charge_id, c.amount_cents - ${REFUNDED_CENTS_SQL} AS refundable,
         (SELECT COUNT(*) FROM payments r WHERE r.tenant_id = c.tenant_id AND r.order_id = c.order_id AND r.kind = 'refund' AND r.status != 'failed') AS refunds,
         (SELECT COUNT(*) FROM vouchers v WHERE v.tenant_id = c.tenant_id AND v.order_id = c.order_id AND +v.status = 'issued') AS issued,
         (SELECT COUNT(*) FROM vouchers v WHERE v.tenant_id = c.tenant_id AND v.order_id = c.order_id AND +v.status = 'refunded') AS refunded_units
       FROM payments c WHERE c.tenant_id = ? AND c.order_id = ? AND c.kind = 'charge' AND c.status = 'succeeded'
       ORDER BY c.created_at DESC LIMIT 1`,
    )
    .bind(tenantId, orderId)
    .first<{ charge_id: string; refundable: number; refunds: number; issued: number; refunded_units: number }>();
}

/**
 * The refund row, pending, written only while the order is paid/delivered, the amount fits in what the charge has
 * left after every refund not failed, and `units` unredeemed rights are there to take back. One statement: D1 runs
 * statements one at a time, so two operators refunding at once cannot both pass the check (RETURNING: none = refused).
 */
export function reserveRefundStmt(db: D1Database, tenantId: string, chargeId: string, refundId: string, amountCents: number, units: number, reason: string) {
  return db
    .prepare(
      `INSERT INTO payments (id, tenant_id, order_id, provider, kind, amount_cents, currency, reason, refund_of, follow_up)
       SELECT ?, c.tenant_id, c.order_id, c.provider, 'refund', ?, c.currency, ?, c.id, 'owed' FROM payments c
       WHERE c.tenant_id = ? AND c.id = ? AND c.kind = 'charge' AND c.status = 'succeeded'
         AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = c.tenant_id AND o.id = c.order_id AND o.status IN ('paid', 'delivered'))
         AND c.amount_cents - ${REFUNDED_CENTS_SQL} >= ?
         AND (SELECT COUNT(*) FROM vouchers v WHERE v.tenant_id = c.tenant_id AND v.order_id = c.order_id AND +v.status = 'issued') >= ?
       RETURNING *`,
    )
    .bind(refundId, amountCents, reason, tenantId, chargeId, amountCents, units);
}

/** Takes `units` unredeemed rights of the order back with the refund just reserved (same batch: the refund row exists). */
export function refundUnitsStmt(db: D1Database, tenantId: string, orderId: string, units: number, refundId: string) {
  return db
    .prepare(
      `UPDATE vouchers SET status = 'refunded', status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), refund_id = ?
       WHERE +tenant_id = ? AND +status = 'issued' AND id IN (SELECT id FROM vouchers WHERE tenant_id = ? AND order_id = ? AND +status = 'issued' ORDER BY +source_key DESC LIMIT ?)
         AND EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND id = ? AND status = 'pending')
       RETURNING id, product_id, campaign_id, kind, holder_id`,
    )
    .bind(refundId, tenantId, tenantId, orderId, units, tenantId, refundId);
}

/** A refund the gateway refused: the row fails and the rights it took come back (only those still 'refunded'). */
export function unrefundVouchersStmt(db: D1Database, tenantId: string, ids: string[]) {
  return db
    .prepare(`UPDATE vouchers SET status = 'issued', status_changed_at = NULL, refund_id = NULL WHERE +tenant_id = ? AND +status = 'refunded' AND id IN (${ids.map(() => "?").join(",")})`)
    .bind(tenantId, ...ids);
}

/** The rights a part refund took back (refundUnitsStmt), still refunded. */
export async function rightsOfPartRefund(db: D1Database, tenantId: string, orderId: string, refundId: string) {
  const { results } = await db
    .prepare("SELECT id, product_id, campaign_id, kind, holder_id FROM vouchers WHERE tenant_id = ? AND order_id = ? AND refund_id = ? AND +status = 'refunded' ORDER BY +source_key DESC")
    .bind(tenantId, orderId, refundId)
    .all<{ id: string; product_id: string; campaign_id: string | null; kind: string; holder_id: string }>();
  return results;
}

/**
 * Takes a part refund's owed follow-up for `run`, first in the follow-up's batch: the batch's other statements are
 * guarded on followUpTaken(run), so of a request and the cron finishing the same refund only one records it.
 */
export function takeFollowUpStmt(db: D1Database, tenantId: string, refundId: string, run: string) {
  return db
    .prepare("UPDATE payments SET follow_up = ? WHERE tenant_id = ? AND id = ? AND follow_up = 'owed' AND status IN ('succeeded', 'pending')")
    .bind(`done:${run}`, tenantId, refundId);
}

export const followUpTaken = (tenantId: string, refundId: string, run: string) => ({
  sql: "EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND id = ? AND follow_up = ?)", args: [tenantId, refundId, `done:${run}`],
});

/** A refused part refund: its rights come back (only those still refunded by it), and nothing is owed any more. */
export function voidPartRefundStmts(db: D1Database, tenantId: string, orderId: string, refundId: string) {
  return [
    db.prepare(
      `UPDATE vouchers SET status = 'issued', status_changed_at = NULL, refund_id = NULL
       WHERE tenant_id = ? AND order_id = ? AND refund_id = ? AND +status = 'refunded'
         AND EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND id = ? AND status = 'failed' AND follow_up = 'owed')`,
    ).bind(tenantId, orderId, refundId, tenantId, refundId),
    db.prepare("UPDATE payments SET follow_up = 'void' WHERE tenant_id = ? AND id = ? AND status = 'failed' AND follow_up = 'owed'").bind(tenantId, refundId),
  ];
}

/** Refunds (ids LIKE `idLike`) whose follow-up is still owed, reserved before `olderThan` (the request that made them is over). */
export async function owedFollowUps(db: D1Database, olderThan: string, limit: number, idLike: string) {
  const { results } = await db
    .prepare("SELECT * FROM payments WHERE follow_up = 'owed' AND created_at < ? AND id LIKE ? ESCAPE '\\' ORDER BY created_at LIMIT ?")
    .bind(olderThan, idLike, limit)
    .all<PaymentRow>();
  return results;
}

/**
 * After a part refund: the order changed (updated_at, so a sync keyed on it sees the new refunded amount), and once
 * nothing is left to refund it moves paid/delivered → refunded.
 */
export function orderFullyRefundedStmt(db: D1Database, tenantId: string, orderId: string) {
  const nothingLeft = `NOT EXISTS (SELECT 1 FROM payments c WHERE c.tenant_id = orders.tenant_id AND c.order_id = orders.id AND c.kind = 'charge' AND c.status = 'succeeded'
           AND c.amount_cents > COALESCE((SELECT SUM(r.amount_cents) FROM payments r WHERE r.tenant_id = c.tenant_id AND r.order_id = c.order_id AND r.kind = 'refund' AND r.status != 'failed'), 0))`;
  return db
    .prepare(
      `UPDATE orders SET status = CASE WHEN ${nothingLeft} THEN 'refunded' ELSE status END,
         refunded_at = CASE WHEN ${nothingLeft} THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE refunded_at END,
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status IN ('paid', 'delivered')
       RETURNING *`,
    )
    .bind(tenantId, orderId);
}

export function getPaymentRecord(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM payments WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<PaymentRecordRow>();
}

/** The order's latest refund the gateway took: done, or still processing there (WeChat Pay answers PROCESSING first). */
export function latestTakenRefund(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare("SELECT * FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND status IN ('succeeded', 'pending') ORDER BY created_at DESC LIMIT 1")
    .bind(tenantId, orderId)
    .first<PaymentRecordRow>();
}

/** The order's first issued right, whatever its status now (a money-only refund is recorded on it). */
export function firstVoucherOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare("SELECT id, product_id, campaign_id, kind, holder_id FROM vouchers WHERE tenant_id = ? AND order_id = ? ORDER BY +issued_at, id LIMIT 1")
    .bind(tenantId, orderId)
    .first<{ id: string; product_id: string; campaign_id: string | null; kind: string; holder_id: string }>();
}

export async function refundedVoucherIds(db: D1Database, tenantId: string, orderId: string): Promise<string[]> {
  const { results } = await db.prepare("SELECT id FROM vouchers WHERE tenant_id = ? AND order_id = ? AND +status = 'refunded' ORDER BY +source_key").bind(tenantId, orderId).all<{ id: string }>();
  return results.map((r) => r.id);
}

export async function refundsOfOrder(db: D1Database, tenantId: string, orderId: string) {
  const { results } = await db.prepare("SELECT * FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' ORDER BY +created_at, id").bind(tenantId, orderId).all<PaymentRecordRow>();
  return results;
}
