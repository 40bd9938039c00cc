import type { SupplierCancelAsk } from "../../schema/suppliers";
import type { SqlGuard } from "./statements";
export interface SupplierRouteRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  base_url: string;
  status: "active" | "disabled";
  consecutive_failures: number;
  open_until: string | null;
  supplier_sku: string;
  /** The live cost from the last price sync, else the configured one. */
  cost_cents: number;
  live_stock: number | null;
  sale_cents: number;
  allow_below_cost: number;
  scheme: string;
  app_id: string | null;
  secret_enc: string | null;
  callback_origin: string | null;
}

export type SupplierRow = {
  id: string; tenant_id: string; name: string; base_url: string; status: "active" | "disabled"; consecutive_failures: number; open_until: string | null;
  scheme: string; app_id: string | null; secret_enc: string | null; callback_origin: string | null; synced_at: string | null;
};

/** Suppliers able to fulfil a product, cheapest live cost first, with the product's sale price and margin choice. */
export async function supplierRoutes(db: D1Database, tenantId: string, productId: string) {
  const { results } = await db
    .prepare(
      `SELECT s.*, sp.supplier_sku, COALESCE(sp.live_cost_cents, sp.cost_cents) AS cost_cents, sp.live_stock,
              p.price_cents AS sale_cents, p.allow_below_cost
       FROM supplier_products sp JOIN suppliers s ON s.id = sp.supplier_id JOIN products p ON p.id = sp.product_id AND p.tenant_id = sp.tenant_id
       WHERE sp.tenant_id = ? AND sp.product_id = ? AND s.tenant_id = ? AND s.status = 'active'
       ORDER BY COALESCE(sp.live_cost_cents, sp.cost_cents), s.name`,
    )
    .bind(tenantId, productId, tenantId)
    .all<SupplierRouteRow>();
  return results;
}

export async function getSupplierById(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM suppliers WHERE id = ?").bind(id).first<SupplierRow>();
}

export function recordAttemptStmt(
  db: D1Database,
  a: {
    id: string; tenantId: string; orderId: string; supplierId: string; outcome: string; latencyMs: number; detail: string | null;
    /** The order line (a bundle's component for a bundle) and its quantity; what the supplier said it charged, when it did. */
    productId?: string | null; quantity?: number | null; chargedCents?: number | null;
  },
) {
  return db
    .prepare("INSERT INTO supplier_attempts (id, tenant_id, order_id, supplier_id, outcome, latency_ms, detail, product_id, quantity, charged_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(a.id, a.tenantId, a.orderId, a.supplierId, a.outcome, a.latencyMs, a.detail, a.productId ?? null, a.quantity ?? null, a.chargedCents ?? null);
}

export function supplierSucceededStmt(db: D1Database, tenantId: string, id: string) {
  return db.prepare("UPDATE suppliers SET consecutive_failures = 0, open_until = NULL WHERE tenant_id = ? AND id = ?").bind(tenantId, id);
}

/** Counts a failure; at `threshold` consecutive failures the circuit opens until `openUntil`. Returns the new state. */
export function supplierFailedStmt(db: D1Database, tenantId: string, id: string, threshold: number, openUntil: string) {
  return db
    .prepare(
      `UPDATE suppliers SET consecutive_failures = consecutive_failures + 1,
         open_until = CASE WHEN consecutive_failures + 1 >= ? THEN ? ELSE open_until END
       WHERE tenant_id = ? AND id = ? RETURNING consecutive_failures, open_until`,
    )
    .bind(threshold, openUntil, tenantId, id);
}

/** Holds inside a batch when the supplier's circuit is open (true) / closed (false) after the failure just counted. */
export const supplierCircuit = (tenantId: string, id: string, threshold: number, open: boolean): SqlGuard => ({
  sql: `EXISTS (SELECT 1 FROM suppliers WHERE tenant_id = ? AND id = ? AND consecutive_failures ${open ? ">=" : "<"} ?)`,
  args: [tenantId, id, threshold],
});

export async function upsertSupplier(
  db: D1Database,
  tenantId: string,
  s: {
    id: string; name: string; baseUrl: string; products: { productId: string; sku: string; costCents: number }[];
    credentials: { scheme: string; appId: string | null; secretEnc: string } | null; callbackOrigin: string | null;
  },
) {
  // Credentials left out on an update keep the stored ones.
  const row = await db
    .prepare(
      `INSERT INTO suppliers (id, tenant_id, name, base_url, scheme, app_id, secret_enc, callback_origin) VALUES (?, ?, ?, ?, COALESCE(?, 'kaquan_v1'), ?, ?, ?)
       ON CONFLICT (tenant_id, name) DO UPDATE SET base_url = excluded.base_url,
         scheme = CASE WHEN ?5 IS NULL THEN suppliers.scheme ELSE excluded.scheme END,
         app_id = CASE WHEN ?5 IS NULL THEN suppliers.app_id ELSE excluded.app_id END,
         secret_enc = CASE WHEN ?5 IS NULL THEN suppliers.secret_enc ELSE excluded.secret_enc END,
         callback_origin = COALESCE(excluded.callback_origin, suppliers.callback_origin)
       RETURNING *`,
    )
    .bind(s.id, tenantId, s.name, s.baseUrl, s.credentials?.scheme ?? null, s.credentials?.appId ?? null, s.credentials?.secretEnc ?? null, s.callbackOrigin)
    .first<SupplierRow>();
  if (s.products.length) {
    await db.batch(
      s.products.map((p) =>
        db
          .prepare(
            `INSERT INTO supplier_products (tenant_id, supplier_id, product_id, supplier_sku, cost_cents)
             SELECT ?, ?, id, ?, ? FROM products WHERE tenant_id = ? AND id = ?
             ON CONFLICT (supplier_id, product_id) DO UPDATE SET supplier_sku = excluded.supplier_sku, cost_cents = excluded.cost_cents`,
          )
          .bind(tenantId, row!.id, p.sku, p.costCents, tenantId, p.productId),
      ),
    );
  }
  return row!;
}

export async function listSuppliers(db: D1Database, tenantId: string) {
  const { results } = await db.prepare("SELECT * FROM suppliers WHERE tenant_id = ? ORDER BY name").bind(tenantId).all<SupplierRow>();
  return results;
}

export type SupplierOrderRow = {
  supplier_id: string; order_ref: string; tenant_id: string; order_id: string; product_id: string; status: "pending" | "succeeded" | "failed";
  supplier_ref: string | null; detail: string | null; created_at: string; settled_at: string | null; polled_at: string | null;
  /** The line's quantity (NULL on rows placed before migration 0216). */
  quantity: number | null;
  /** Since when the supplier has answered `unknown` for it, without another answer in between (migration 0218). */
  unknown_since?: string | null;
  /** The last cancel request (撤单) asked of the supplier for it, and its answer (migration 0226). */
  cancel_asked_at?: string | null; cancel_asked_by?: string | null; cancel_answer?: string | null; cancel_reason?: string | null;
};

/** Whether a line of the order is still pending at a supplier (accepted, or a timed-out call not known yet). */
export async function hasPendingSupplierOrder(db: D1Database, tenantId: string, orderId: string) {
  return !!(await db.prepare("SELECT 1 AS x FROM supplier_orders WHERE tenant_id = ? AND order_id = ? AND status = 'pending' LIMIT 1").bind(tenantId, orderId).first());
}

/** The order's lines still pending at a supplier, oldest first. */
export async function pendingLinesOfOrder(db: D1Database, tenantId: string, orderId: string) {
  const { results } = await db
    .prepare("SELECT * FROM supplier_orders WHERE tenant_id = ? AND order_id = ? AND status = 'pending' ORDER BY created_at")
    .bind(tenantId, orderId)
    .all<SupplierOrderRow>();
  return results;
}

export function insertSupplierOrderStmt(
  db: D1Database, o: { supplierId: string; orderRef: string; tenantId: string; orderId: string; productId: string; quantity: number; status: "pending" | "succeeded"; supplierRef: string | null },
) {
  return db
    .prepare(
      `INSERT INTO supplier_orders (supplier_id, order_ref, tenant_id, order_id, product_id, status, supplier_ref, settled_at, quantity)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?6 = 'pending' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END, ?8)
       ON CONFLICT (supplier_id, order_ref) DO NOTHING`,
    )
    .bind(o.supplierId, o.orderRef, o.tenantId, o.orderId, o.productId, o.status, o.supplierRef, o.quantity);
}

export async function supplierOrdersOf(db: D1Database, tenantId: string, orderId: string, productId: string) {
  const { results } = await db
    .prepare("SELECT * FROM supplier_orders WHERE tenant_id = ? AND order_id = ? AND product_id = ? ORDER BY created_at")
    .bind(tenantId, orderId, productId)
    .all<SupplierOrderRow>();
  return results;
}

export async function getSupplierOrder(db: D1Database, supplierId: string, orderRef: string) {
  return db.prepare("SELECT * FROM supplier_orders WHERE supplier_id = ? AND order_ref = ?").bind(supplierId, orderRef).first<SupplierOrderRow>();
}

/** pending → succeeded | failed, once: a later or repeated outcome changes nothing (RETURNING is empty then). */
export function settleSupplierOrderStmt(db: D1Database, supplierId: string, orderRef: string, status: "succeeded" | "failed", supplierRef: string | null, detail: string | null) {
  return db
    .prepare(
      `UPDATE supplier_orders SET status = ?, supplier_ref = COALESCE(?, supplier_ref), detail = ?, settled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE supplier_id = ? AND order_ref = ? AND status = 'pending' RETURNING *`,
    )
    .bind(status, supplierRef, detail, supplierId, orderRef);
}

/** Pending supplier orders not polled since `before` (oldest first), optionally of one tenant. */
export async function pendingSupplierOrders(db: D1Database, before: string, limit: number, tenantId?: string) {
  const { results } = await db
    .prepare(
      `SELECT * FROM supplier_orders WHERE status = 'pending' AND COALESCE(polled_at, created_at) < ? ${tenantId ? "AND tenant_id = ?" : ""}
       ORDER BY COALESCE(polled_at, created_at) LIMIT ?`,
    )
    .bind(...[before, ...(tenantId ? [tenantId] : []), limit])
    .all<SupplierOrderRow>();
  return results;
}

export function markPolledStmt(db: D1Database, supplierId: string, orderRef: string, at: string) {
  return db.prepare("UPDATE supplier_orders SET polled_at = ? WHERE supplier_id = ? AND order_ref = ?").bind(at, supplierId, orderRef);
}

/**
 * Records what a status answer says about the supplier still knowing a pending order: `unknown` keeps the time it first
 * said so (since = that answer's time), any other answer clears it. Returns the time `unknown` has been said since.
 */
export async function noteUnknown(db: D1Database, supplierId: string, orderRef: string, since: string | null) {
  const row = await db
    .prepare(
      `UPDATE supplier_orders SET unknown_since = CASE WHEN ?1 IS NULL THEN NULL ELSE COALESCE(unknown_since, ?1) END
       WHERE supplier_id = ?2 AND order_ref = ?3 AND status = 'pending' RETURNING unknown_since`,
    )
    .bind(since, supplierId, orderRef)
    .first<{ unknown_since: string | null }>();
  return row?.unknown_since ?? null;
}

/** Keeps the last cancel request asked of the supplier for a line (any status: a settled line keeps how it ended). */
export function recordCancelAskStmt(db: D1Database, supplierId: string, orderRef: string, ask: { at: string; by: string; answer: string; reason: string | null }) {
  return db
    .prepare("UPDATE supplier_orders SET cancel_asked_at = ?, cancel_asked_by = ?, cancel_answer = ?, cancel_reason = ? WHERE supplier_id = ? AND order_ref = ?")
    .bind(ask.at, ask.by, ask.answer, ask.reason?.slice(0, 200) ?? null, supplierId, orderRef);
}

export type CancelAskRow = {
  supplier_id: string; cancel_asked_at: string | null; cancel_asked_by: string | null; cancel_answer: string | null; cancel_reason: string | null; cancel_asked_by_name: string | null;
};

/** The columns of a line's last cancel ask, with the asking key's name (`so`: supplier_orders, `k`: api_keys). */
export const CANCEL_ASK_COLUMNS = "so.cancel_asked_at, so.cancel_asked_by, so.cancel_answer, so.cancel_reason, k.name AS cancel_asked_by_name";
export const CANCEL_ASK_KEY_JOIN = "LEFT JOIN api_keys k ON k.tenant_id = so.tenant_id AND k.id = so.cancel_asked_by";

export const toCancelAsk = (r: CancelAskRow): SupplierCancelAsk | null =>
  r.cancel_asked_at && r.cancel_asked_by && r.cancel_answer
    ? { supplierId: r.supplier_id, at: r.cancel_asked_at, by: r.cancel_asked_by, byName: r.cancel_asked_by_name, answer: r.cancel_answer as SupplierCancelAsk["answer"], reason: r.cancel_reason }
    : null;

/** The last cancel ask of each line of the order still pending at a supplier (lines never asked left out). */
export async function pendingCancelAsks(db: D1Database, tenantId: string, orderId: string) {
  const { results } = await db
    .prepare(`SELECT so.supplier_id, ${CANCEL_ASK_COLUMNS} FROM supplier_orders so ${CANCEL_ASK_KEY_JOIN} WHERE so.tenant_id = ? AND so.order_id = ? AND so.status = 'pending' ORDER BY so.created_at`)
    .bind(tenantId, orderId)
    .all<CancelAskRow>();
  return results.map(toCancelAsk).filter((a) => a !== null);
}

/** Records a callback's one-time value; false when it was seen before (a replay). */
export async function rememberNonce(db: D1Database, supplierId: string, nonce: string): Promise<boolean> {
  const r = await db.prepare("INSERT INTO supplier_callback_nonces (supplier_id, nonce) VALUES (?, ?) ON CONFLICT DO NOTHING").bind(supplierId, nonce.slice(0, 200)).run();
  return r.meta.changes === 1;
}

export function pruneNoncesStmt(db: D1Database, before: string) {
  return db.prepare("DELETE FROM supplier_callback_nonces WHERE seen_at < ?").bind(before);
}

/** Suppliers whose price list is due for a sync (never synced, or before `before`), optionally of one tenant. */
export async function suppliersDueForSync(db: D1Database, before: string, limit: number, tenantId?: string) {
  const { results } = await db
    .prepare(
      `SELECT s.* FROM suppliers s WHERE s.status = 'active' AND COALESCE(s.synced_at, '') < ? ${tenantId ? "AND s.tenant_id = ?" : ""}
         AND EXISTS (SELECT 1 FROM supplier_products sp WHERE sp.supplier_id = s.id)
       ORDER BY COALESCE(s.synced_at, '') LIMIT ?`,
    )
    .bind(...[before, ...(tenantId ? [tenantId] : []), limit])
    .all<SupplierRow>();
  return results;
}

export function liveCostStmt(db: D1Database, tenantId: string, supplierId: string, sku: string, costCents: number, stock: number) {
  return db
    .prepare("UPDATE supplier_products SET live_cost_cents = ?, live_stock = ? WHERE +tenant_id = ? AND supplier_id = ? AND supplier_sku = ?")
    .bind(costCents, stock, tenantId, supplierId, sku);
}

export function markSyncedStmt(db: D1Database, tenantId: string, supplierId: string, at: string) {
  return db.prepare("UPDATE suppliers SET synced_at = ? WHERE tenant_id = ? AND id = ?").bind(at, tenantId, supplierId);
}

export type SupplierProductRow = {
  supplier_id: string; product_id: string; product_name: string; supplier_sku: string; cost_cents: number; live_cost_cents: number | null;
  live_stock: number | null; price_cents: number; allow_below_cost: number;
};

/** Every product mapping of the tenant's suppliers (one supplier's when given), with sale price and margin choice. */
export async function supplierProducts(db: D1Database, tenantId: string, supplierId?: string) {
  const { results } = await db
    .prepare(
      `SELECT sp.supplier_id, sp.product_id, p.name AS product_name, sp.supplier_sku, sp.cost_cents, sp.live_cost_cents, sp.live_stock, p.price_cents, p.allow_below_cost
       FROM supplier_products sp JOIN products p ON p.id = sp.product_id AND p.tenant_id = sp.tenant_id
       WHERE sp.tenant_id = ? ${supplierId ? "AND sp.supplier_id = ?" : ""} ORDER BY p.name, sp.supplier_sku`,
    )
    .bind(...[tenantId, ...(supplierId ? [supplierId] : [])])
    .all<SupplierProductRow>();
  return results;
}

export type AttemptRow = { supplier_id: string; order_id: string; outcome: string; latency_ms: number; detail: string | null; created_at: string };

export async function attemptsSince(db: D1Database, tenantId: string, since: string) {
  const { results } = await db
    .prepare("SELECT supplier_id, order_id, outcome, latency_ms, detail, created_at FROM supplier_attempts WHERE tenant_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 20000")
    .bind(tenantId, since)
    .all<AttemptRow>();
  return results;
}

export async function pendingCounts(db: D1Database, tenantId: string) {
  const { results } = await db
    .prepare("SELECT supplier_id, count(*) AS n FROM supplier_orders WHERE tenant_id = ? AND status = 'pending' GROUP BY supplier_id")
    .bind(tenantId)
    .all<{ supplier_id: string; n: number }>();
  return new Map(results.map((r) => [r.supplier_id, r.n]));
}

export async function setAllowBelowCost(db: D1Database, tenantId: string, productId: string, allow: boolean) {
  return db
    .prepare("UPDATE products SET allow_below_cost = ? WHERE tenant_id = ? AND id = ? RETURNING id, allow_below_cost")
    .bind(allow ? 1 : 0, tenantId, productId)
    .first<{ id: string; allow_below_cost: number }>();
}

/** Whether a supplier accepted this order after `since` and has not settled it yet. */
export async function pendingAtSupplier(db: D1Database, tenantId: string, orderId: string, since: string) {
  const row = await db
    .prepare("SELECT 1 AS x FROM supplier_orders WHERE tenant_id = ? AND order_id = ? AND status = 'pending' AND created_at >= ? LIMIT 1")
    .bind(tenantId, orderId, since)
    .first();
  return !!row;
}
