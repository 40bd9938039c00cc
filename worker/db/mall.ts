/** Points mall items and exchanges (schema/d1/0157). */
import type { SqlGuard } from "./statements";

export interface MallItemRow {
  id: string;
  tenant_id: string;
  product_id: string;
  title: string;
  points: number;
  cash_cents: number;
  stock_total: number;
  stock_left: number;
  per_member_limit: number | null;
  active: number;
  created_at: string;
}

export interface ExchangeRow {
  id: string;
  tenant_id: string;
  item_id: string;
  member_id: string;
  buyer_id: string;
  idempotency_key: string;
  points: number;
  cash_cents: number;
  order_id: string | null;
  status: "placed" | "ordered" | "returned";
  created_at: string;
}

export function insertItem(db: D1Database, i: Omit<MallItemRow, "created_at">) {
  return db.prepare(
    `INSERT INTO mall_items (id, tenant_id, product_id, title, points, cash_cents, stock_total, stock_left, per_member_limit, active)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).bind(i.id, i.tenant_id, i.product_id, i.title, i.points, i.cash_cents, i.stock_total, i.stock_left, i.per_member_limit, i.active).first<MallItemRow>();
}

/**
 * Stock changes keep what was already taken: stock_left moves by the change in stock_total. A new total below what
 * is taken (stock_total - stock_left: exchanges not returned) changes nothing — the guard is in the statement, so an
 * exchange racing the change is counted — and the caller answers 409 (services/mall.ts saveItem).
 */
export function updateItem(db: D1Database, i: Omit<MallItemRow, "created_at" | "stock_left">) {
  return db.prepare(
    `UPDATE mall_items SET product_id = ?, title = ?, points = ?, cash_cents = ?, per_member_limit = ?, active = ?,
       stock_left = stock_left + ? - stock_total, stock_total = ?
     WHERE tenant_id = ? AND id = ? AND stock_total - stock_left <= ? RETURNING *`,
  ).bind(i.product_id, i.title, i.points, i.cash_cents, i.per_member_limit, i.active, i.stock_total, i.stock_total, i.tenant_id, i.id, i.stock_total).first<MallItemRow>();
}

/** An item row with its product's status and kind (null if the product is gone). */
export type MallItemListRow = MallItemRow & { product_status: string | null; product_kind: string | null };

/** exchangeable: only active items whose product is published (what members may exchange). */
export function listItems(db: D1Database, tenantId: string, exchangeable: boolean) {
  const only = "AND i.active = 1 AND p.status = 'published'";
  return db.prepare(
    `SELECT i.*, p.status AS product_status, p.kind AS product_kind FROM mall_items i LEFT JOIN products p ON p.tenant_id = i.tenant_id AND p.id = i.product_id
     WHERE i.tenant_id = ? ${exchangeable ? only : ""} ORDER BY i.points, i.id`,
  ).bind(tenantId).all<MallItemListRow>().then((r) => r.results);
}

export function getItem(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM mall_items WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<MallItemRow>();
}

export function exchangeByKey(db: D1Database, tenantId: string, memberId: string, key: string) {
  return db.prepare("SELECT * FROM mall_exchanges WHERE tenant_id = ? AND member_id = ? AND idempotency_key = ?").bind(tenantId, memberId, key).first<ExchangeRow>();
}

export function exchangeById(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM mall_exchanges WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<ExchangeRow>();
}

export const exchangeExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM mall_exchanges WHERE id = ?)", args: [id] });

/**
 * The exchange row, only when the item is active with stock left, the member is under the item's limit (returned
 * exchanges do not count) and the balance covers the points — all checked in the statement, inside the batch that
 * then takes the stock and spends the points, so racing exchanges cannot oversell or overspend.
 */
export function insertExchangeStmt(db: D1Database, x: Omit<ExchangeRow, "created_at" | "order_id" | "status" | "points" | "cash_cents">) {
  return db.prepare(
    `INSERT OR IGNORE INTO mall_exchanges (id, tenant_id, item_id, member_id, buyer_id, idempotency_key, points, cash_cents, status)
     SELECT ?, i.tenant_id, i.id, m.id, ?, ?, i.points, i.cash_cents, 'placed' FROM mall_items i JOIN members m ON m.tenant_id = i.tenant_id AND m.id = ?
     WHERE i.tenant_id = ? AND i.id = ? AND i.active = 1 AND i.stock_left > 0 AND m.points_balance >= i.points
       AND (i.per_member_limit IS NULL OR (SELECT COUNT(*) FROM mall_exchanges e WHERE e.tenant_id = i.tenant_id AND e.item_id = i.id AND e.member_id = m.id AND e.status != 'returned') < i.per_member_limit)`,
  ).bind(x.id, x.buyer_id, x.idempotency_key, x.member_id, x.tenant_id, x.item_id);
}

export function takeStockStmt(db: D1Database, tenantId: string, itemId: string, exchangeId: string) {
  return db.prepare("UPDATE mall_items SET stock_left = stock_left - 1 WHERE tenant_id = ? AND id = ? AND EXISTS (SELECT 1 FROM mall_exchanges WHERE id = ?)")
    .bind(tenantId, itemId, exchangeId);
}

/** placed|ordered → returned, once; the stock goes back in the same statement's batch (guarded on this move). */
export function returnExchangeStmts(db: D1Database, tenantId: string, exchangeId: string) {
  return [
    db.prepare("UPDATE mall_exchanges SET status = 'returned' WHERE tenant_id = ? AND id = ? AND status != 'returned'").bind(tenantId, exchangeId),
    db.prepare("UPDATE mall_items SET stock_left = stock_left + 1 WHERE id = (SELECT item_id FROM mall_exchanges WHERE id = ?) AND changes() = 1").bind(exchangeId),
  ];
}

export function setExchangeOrderStmt(db: D1Database, tenantId: string, exchangeId: string, orderId: string) {
  return db.prepare("UPDATE mall_exchanges SET status = 'ordered', order_id = ? WHERE tenant_id = ? AND id = ? AND status = 'placed'")
    .bind(orderId, tenantId, exchangeId);
}

/** The spend of an exchange (its id), for returnDebitStmts. */
export const exchangeDebit = (tenantId: string, exchangeId: string): SqlGuard => ({
  sql: "SELECT id FROM points_movements WHERE tenant_id = ? AND kind = 'spend' AND source_kind = 'mall' AND source_id = ?",
  args: [tenantId, exchangeId],
});

/**
 * Exchanges whose order was refunded, cancelled or expired unpaid, and ones left 'placed' by a crash: to return. Each
 * half reads a partial index of what is waiting (0206: `return_due`, set by triggers when the order goes that way).
 * `+o.status`: each waiting exchange's order by its key. Without it SQLite (no statistics in D1) walked every refunded,
 * cancelled and expired order ever made, each minute, to find the few exchanges.
 */
export function exchangesToReturn(db: D1Database, placedBeforeIso: string, limit: number) {
  return db.prepare(
    `SELECT e.* FROM mall_exchanges e JOIN orders o ON o.tenant_id = e.tenant_id AND o.id = e.order_id
     WHERE e.status = 'ordered' AND e.return_due = 1 AND +o.status IN ('refunded', 'cancelled', 'expired')
     UNION ALL SELECT e.* FROM mall_exchanges e WHERE e.status = 'placed' AND e.created_at < ?1
     LIMIT ?2`,
  ).bind(placedBeforeIso, limit).all<ExchangeRow>().then((r) => r.results);
}

export function exchangeOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db.prepare("SELECT * FROM mall_exchanges WHERE tenant_id = ? AND order_id = ?").bind(tenantId, orderId).first<ExchangeRow>();
}

export function exchangesOfMember(db: D1Database, tenantId: string, memberId: string, limit: number) {
  return db.prepare(
    `SELECT e.*, o.status AS order_status FROM mall_exchanges e LEFT JOIN orders o ON o.tenant_id = e.tenant_id AND o.id = e.order_id
     WHERE e.tenant_id = ? AND e.member_id = ? ORDER BY e.created_at DESC LIMIT ?`,
  ).bind(tenantId, memberId, limit).all<ExchangeRow & { order_status: string | null }>().then((r) => r.results);
}
