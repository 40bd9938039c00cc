import type { Order, OrderStatus } from "../../schema/orders";
import { guardArgs, guardSql, type SqlGuard } from "./statements";
import type { VoucherRow } from "./vouchers";
import { buyerStmt, type BuyerRow } from "./buyers";
import { GROUP_ORDER_WAITS_SQL } from "./groups";

export interface OrderRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  product_id: string;
  quantity: number;
  unit_price_cents: number;
  amount_cents: number;
  /** The part paid from the buyer's stored-value balance (schema/d1/0161); the gateway charges the rest. */
  stored_value_cents?: number;
  /** What coupons took off (schema/d1/0170); amount_cents is after it. */
  discount_cents?: number;
  currency: string;
  status: OrderStatus;
  idempotency_key: string;
  request_hash: string;
  source: string;
  campaign_id: string | null;
  recharge_account: string | null;
  reserved_until: string | null;
  failure_reason: string | null;
  paid_at: string | null;
  delivered_at: string | null;
  refunded_at: string | null;
  created_at: string;
  updated_at: string;
  /** Delivery runs so far (the payment's own request counts as the first). */
  delivery_attempts: number;
  /** When the cron may next take this paid (or failed, refund pending) order; a lease while a runner works on it. */
  next_delivery_at: string | null;
  stuck_alerted_at: string | null;
  /** 0: a benefit or reward given (schema/d1/0225), not counted toward the buyer's per-buyer limit. */
  counts_to_limit?: number;
}

export const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  tenantId: r.tenant_id,
  buyerId: r.buyer_id,
  productId: r.product_id,
  quantity: r.quantity,
  unitPriceCents: r.unit_price_cents,
  amountCents: r.amount_cents,
  discountCents: r.discount_cents ?? 0,
  currency: r.currency,
  status: r.status,
  source: r.source,
  campaignId: r.campaign_id,
  reservedUntil: r.reserved_until,
  failureReason: r.failure_reason,
  paidAt: r.paid_at,
  deliveredAt: r.delivered_at,
  refundedAt: r.refunded_at,
  createdAt: r.created_at,
});

export type NewOrder = Pick<
  OrderRow,
  | "id" | "tenant_id" | "buyer_id" | "product_id" | "quantity" | "unit_price_cents" | "amount_cents" | "currency"
  | "idempotency_key" | "request_hash" | "source" | "campaign_id" | "recharge_account" | "reserved_until"
> & { discount_cents?: number; counts_to_limit?: number };

const LIVE = "('created', 'paid', 'delivered')";

/** How long the request that moves an order to 'paid' has to deliver it before the cron takes it over. */
export const DELIVERY_LEASE_S = 30;
/** Set with the move to 'paid', in the same statement: the delivery is recorded durably with the payment. */
export const DELIVERY_LEASE_SQL = `delivery_attempts = 1, next_delivery_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+${DELIVERY_LEASE_S} seconds')`;

/**
 * Inserts the order unless the key was used already or the buyer's live orders for this product would exceed
 * `perUserLimit` (0 = none). One statement, so two concurrent orders of one buyer cannot both slip under the limit.
 */
/** Inserts the order (false: refused); `also` (its event rows, guarded on `orderExists`) runs in the same transaction. */
export async function insertOrder(db: D1Database, o: NewOrder, perUserLimit: number, also: D1PreparedStatement[] = [], maxUnpaid = 0): Promise<boolean> {
  const [ins] = await db.batch([insertOrderStmt(db, o, perUserLimit, maxUnpaid), ...also]);
  return ins!.meta.changes > 0;
}

export const orderExists = (tenantId: string, id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ?)", args: [tenantId, id] });

/**
 * insertOrder as one statement for a batch; RETURNING the new row (none when refused). Refused past the product's
 * per-buyer limit, and (`maxUnpaid` > 0) when the buyer would hold more than that many units of it unpaid.
 */
export function insertOrderStmt(db: D1Database, o: NewOrder, perUserLimit: number, maxUnpaid = 0) {
  return db
    .prepare(
      `INSERT INTO orders (id, tenant_id, buyer_id, product_id, quantity, unit_price_cents, amount_cents, currency,
         idempotency_key, request_hash, source, campaign_id, recharge_account, reserved_until, discount_cents, counts_to_limit)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
       WHERE (? = 0 OR (${LIMIT_UNITS}) + ? <= ?)
         AND (? = 0 OR (${UNPAID_UNITS}) + ? <= ?)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
       RETURNING *`,
    )
    .bind(
      o.id, o.tenant_id, o.buyer_id, o.product_id, o.quantity, o.unit_price_cents, o.amount_cents, o.currency,
      o.idempotency_key, o.request_hash, o.source, o.campaign_id, o.recharge_account, o.reserved_until, o.discount_cents ?? 0, o.counts_to_limit ?? 1,
      perUserLimit, o.tenant_id, o.buyer_id, o.product_id, o.quantity, perUserLimit,
      maxUnpaid, o.tenant_id, o.buyer_id, o.product_id, o.quantity, maxUnpaid,
    );
}

/** The buyer's units of the product that use up the per-buyer limit: live orders, benefits and rewards given left out. */
const limitUnitsSql = (tenant: string, buyer: string, product: string) => `SELECT COALESCE(SUM(quantity), 0) FROM orders
  WHERE tenant_id = ${tenant} AND buyer_id = ${buyer} AND product_id = ${product} AND status IN ${LIVE} AND counts_to_limit = 1`;
const LIMIT_UNITS = limitUnitsSql("?", "?", "?");
const UNPAID_UNITS = "SELECT COALESCE(SUM(quantity), 0) FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ? AND status = 'created'";

/** A buyer's units of a product: what the per-buyer limit counts (live orders but benefits and rewards given), and unpaid ones. */
export async function buyerUnits(db: D1Database, tenantId: string, buyerId: string, productId: string) {
  const r = await db
    .prepare(`SELECT COALESCE(SUM(CASE WHEN counts_to_limit = 1 THEN quantity END), 0) AS held,
                     COALESCE(SUM(CASE WHEN status = 'created' THEN quantity END), 0) AS unpaid
              FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ? AND status IN ${LIVE}`)
    .bind(tenantId, buyerId, productId)
    .first<{ held: number; unpaid: number }>();
  return { held: r?.held ?? 0, unpaid: r?.unpaid ?? 0 };
}

/** Which of these products (at most 90) the buyer already holds up to its per-buyer limit (the count insertOrder checks). */
export async function productsAtLimit(db: D1Database, tenantId: string, buyerId: string, productIds: string[]): Promise<Set<string>> {
  if (!productIds.length) return new Set();
  const r = await db
    .prepare(
      `SELECT p.id FROM products p WHERE p.tenant_id = ?1 AND p.id IN (${productIds.map((_, i) => `?${i + 3}`).join(",")}) AND p.per_user_limit > 0
       AND p.per_user_limit <= (${limitUnitsSql("?1", "?2", "p.id")})`,
    )
    .bind(tenantId, buyerId, ...productIds)
    .all<{ id: string }>();
  return new Set(r.results.map((x) => x.id));
}

export function getOrderRow(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM orders WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<OrderRow>();
}

export function getOrderByIdempotencyKey(db: D1Database, tenantId: string, key: string) {
  return orderByIdempotencyKeyStmt(db, tenantId, key).first<OrderRow>();
}

export function orderByIdempotencyKeyStmt(db: D1Database, tenantId: string, key: string) {
  return db.prepare("SELECT * FROM orders WHERE tenant_id = ? AND idempotency_key = ?").bind(tenantId, key);
}

/** Orders under any of these keys (at most 90: D1 binds at most 100 values per statement). */
export function ordersByIdempotencyKeysStmt(db: D1Database, tenantId: string, keys: string[]) {
  return db.prepare(`SELECT * FROM orders WHERE tenant_id = ? AND idempotency_key IN (${keys.map(() => "?").join(",")})`).bind(tenantId, ...keys);
}

export async function listOrdersOfBuyers(db: D1Database, tenantId: string, buyerIds: string[]) {
  if (!buyerIds.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM orders WHERE tenant_id = ? AND buyer_id IN (${buyerIds.map(() => "?").join(",")}) ORDER BY created_at DESC LIMIT 100`)
    .bind(tenantId, ...buyerIds)
    .all<OrderRow>();
  return results;
}

/** What an order `o` has given back so far: its refunds not refused (pending ones included), whole or in parts. */
export const REFUNDED_SQL = `(SELECT COALESCE(SUM(r.amount_cents), 0) FROM payments r
  WHERE r.tenant_id = o.tenant_id AND r.order_id = o.id AND r.kind = 'refund' AND r.status != 'failed')`;

/** A buyer's orders (this tenant only) with the product's name and media, the open charge and what was refunded, newest first. */
export async function listBuyerOrdersWithProduct(db: D1Database, tenantId: string, buyerId: string) {
  const { results } = await db
    .prepare(
      `SELECT o.*, p.name AS product_name, p.media AS product_media, p.kind AS product_kind, ${REFUNDED_SQL} AS refunded_cents,
         (SELECT pay.id FROM payments pay WHERE pay.tenant_id = o.tenant_id AND pay.order_id = o.id AND pay.kind = 'charge'
          ORDER BY pay.created_at DESC LIMIT 1) AS charge_id
       FROM orders o LEFT JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       WHERE o.tenant_id = ? AND o.buyer_id = ? ORDER BY o.created_at DESC LIMIT 100`,
    )
    .bind(tenantId, buyerId)
    .all<OrderRow & { product_name: string | null; product_media: string | null; product_kind: string | null; charge_id: string | null; refunded_cents: number }>();
  return results;
}

/** Guarded transition: moves only from one of `from`; returns the row, or null if it was elsewhere. */
export function transitionOrderStmt(
  db: D1Database,
  tenantId: string,
  id: string,
  from: OrderStatus[],
  to: OrderStatus,
  extra: { failureReason?: string; reservedUntil?: string; lapsedBefore?: string } = {},
) {
  const stamp = to === "paid" ? `, paid_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ${DELIVERY_LEASE_SQL}`
    : to === "delivered" ? ", delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    : to === "refunded" ? ", refunded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "";
  return db
    .prepare(
      `UPDATE orders SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')${stamp},
         failure_reason = COALESCE(?, failure_reason), reserved_until = COALESCE(?, reserved_until)
       WHERE tenant_id = ? AND id = ? AND status IN (${from.map(() => "?").join(",")}) AND (? IS NULL OR reserved_until < ?) RETURNING *`,
    )
    .bind(to, extra.failureReason ?? null, extra.reservedUntil ?? null, tenantId, id, ...from, extra.lapsedBefore ?? null, extra.lapsedBefore ?? null);
}

/** How long a whole-order refund holds its order (failed, `refund:…`) against another refund of it starting. */
export const REFUND_CLAIM_SECONDS = 60;

/**
 * Claims an order for a whole-order refund: from the status it was read in to 'failed' with `refund:<reason>` — but
 * not an order another refund claimed less than REFUND_CLAIM_SECONDS ago (it is 'failed' with `refund:…` while that
 * refund asks the gateway), so two refunds of one order never run at once; an older claim (a refund that died or was
 * refused) may be taken over. Nor a paid order with a recharge still pending at a supplier: it may yet go through, and
 * the buyer would have both the money and the recharge (its outcome settles the order; a failure is refunded).
 */
export function claimOrderForRefundStmt(db: D1Database, tenantId: string, id: string, from: OrderStatus, reason: string) {
  return db
    .prepare(
      `UPDATE orders SET status = 'failed', failure_reason = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status = ?
         AND NOT (status = 'failed' AND failure_reason LIKE 'refund:%'
                  AND updated_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${REFUND_CLAIM_SECONDS} seconds'))
         AND NOT (status = 'paid' AND EXISTS (SELECT 1 FROM supplier_orders s
                  WHERE s.tenant_id = orders.tenant_id AND s.order_id = orders.id AND s.status = 'pending'))
       RETURNING *`,
    )
    .bind(`refund:${reason}`, tenantId, id, from);
}

/** What an open order holds: counter holds and reserved card keys per product, and the coupons' applied cents. */
export async function takenByOrder(db: D1Database, tenantId: string, orderId: string) {
  const { results } = await db
    .prepare(
      `SELECT 'hold' AS kind, product_id, quantity AS n FROM order_stock_holds WHERE tenant_id = ? AND order_id = ? AND state = 'held'
       UNION ALL SELECT 'key', product_id, COUNT(*) FROM card_keys WHERE tenant_id = ? AND order_id = ? AND status = 'reserved' GROUP BY +product_id
       UNION ALL SELECT 'coupons', '', COALESCE(SUM(discount_cents), 0) FROM order_coupons WHERE tenant_id = ? AND order_id = ? AND state = 'applied'`,
    )
    .bind(tenantId, orderId, tenantId, orderId, tenantId, orderId)
    .all<{ kind: "hold" | "key" | "coupons"; product_id: string; n: number }>();
  const holds = new Map<string, number>();
  const keys = new Map<string, number>();
  let couponCents = 0;
  for (const r of results) {
    if (r.kind === "hold") holds.set(r.product_id, r.n);
    else if (r.kind === "key") keys.set(r.product_id, r.n);
    else couponCents = r.n;
  }
  return { holds, keys, couponCents };
}

/** Unpaid orders whose reservation ran out (each is then expired with its stock given back in one batch). */
export async function lapsedOrders(db: D1Database, tenantId: string | null, nowIso: string, limit = 500) {
  const { results } = await db
    .prepare("SELECT * FROM orders WHERE status = 'created' AND reserved_until < ? AND (? IS NULL OR tenant_id = ?) LIMIT ?")
    .bind(nowIso, tenantId, tenantId, limit)
    .all<OrderRow>();
  return results;
}

/** Lapsed campaign orders whose unit was not yet handed back to the campaign (a crash after the order's commit). */
export async function unreturnedWins(db: D1Database, beforeIso: string, limit = 100) {
  const { results } = await db
    .prepare(
      `SELECT id, tenant_id, status, source, campaign_id, idempotency_key FROM orders
       WHERE win_returned IS NULL AND campaign_id IS NOT NULL AND status IN ('expired', 'cancelled') AND updated_at < ? LIMIT ?`,
    )
    .bind(beforeIso, limit)
    .all<Pick<OrderRow, "id" | "tenant_id" | "status" | "source" | "campaign_id" | "idempotency_key">>();
  return results;
}

export async function markWinReturned(db: D1Database, tenantId: string, orderId: string) {
  await db.prepare("UPDATE orders SET win_returned = 1 WHERE tenant_id = ? AND id = ?").bind(tenantId, orderId).run();
}

// Counter-based stock (coupon, direct_recharge, bundle): a hold per order, moved exactly once.
export function holdStockStmt(db: D1Database, tenantId: string, productId: string, orderId: string, quantity: number, guard?: SqlGuard) {
  return db
    .prepare(
      `UPDATE products SET stock_reserved = stock_reserved + ?
       WHERE tenant_id = ? AND id = ? AND (stock_total IS NULL OR stock_total - stock_reserved - stock_sold >= ?) AND ${guardSql(guard)}
       RETURNING id, stock_total - stock_reserved - stock_sold AS available, low_stock_threshold AS threshold`,
    )
    .bind(quantity, tenantId, productId, quantity, ...guardArgs(guard));
}

/** Records the hold only if the holdStockStmt right before it (same batch) took the stock. */
export function recordHeldStmt(db: D1Database, tenantId: string, productId: string, orderId: string, quantity: number) {
  return db
    .prepare("INSERT INTO order_stock_holds (order_id, tenant_id, product_id, quantity) SELECT ?, ?, ?, ? WHERE changes() = 1")
    .bind(orderId, tenantId, productId, quantity);
}

export function recordHoldStmt(db: D1Database, tenantId: string, productId: string, orderId: string, quantity: number) {
  return db
    .prepare("INSERT INTO order_stock_holds (order_id, tenant_id, product_id, quantity) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
    .bind(orderId, tenantId, productId, quantity);
}

/** Two statements for a batch: adjust counters only if the hold is still 'held', then move the hold. */
export function settleHoldsStmts(db: D1Database, tenantId: string, orderId: string, to: "sold" | "released", guard?: SqlGuard) {
  const counters = to === "sold"
    ? "stock_reserved = stock_reserved - h.quantity, stock_sold = stock_sold + h.quantity"
    : "stock_reserved = stock_reserved - h.quantity";
  return [
    db
      .prepare(
        `UPDATE products AS p SET ${counters.replace(/h\.quantity/g, "(SELECT quantity FROM order_stock_holds h WHERE h.order_id = ? AND h.product_id = p.id)")}
         WHERE +p.tenant_id = ? AND p.id IN (SELECT product_id FROM order_stock_holds WHERE order_id = ? AND tenant_id = ? AND state = 'held') AND ${guardSql(guard)}`,
      )
      .bind(...(to === "sold" ? [orderId, orderId] : [orderId]), tenantId, orderId, tenantId, ...guardArgs(guard)),
    db
      .prepare(`UPDATE order_stock_holds SET state = ? WHERE order_id = ? AND tenant_id = ? AND state = 'held' AND ${guardSql(guard)}`)
      .bind(to, orderId, tenantId, ...guardArgs(guard)),
  ];
}

/**
 * Orders whose delivery (status 'paid') or automatic refund (status 'failed', not an operator refund) is due, across
 * tenants (the cron); each is then taken with takeDeliveryStmt under its own tenant.
 */
export async function dueDeliveries(db: D1Database, nowIso: string, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT * FROM orders WHERE status IN ('paid', 'failed') AND next_delivery_at <= ?
         AND (status = 'paid' OR failure_reason IS NULL OR failure_reason NOT LIKE 'refund:%') AND ${GROUP_ORDER_WAITS_SQL}
       ORDER BY next_delivery_at LIMIT ?`,
    )
    .bind(nowIso, limit)
    .all<OrderRow>();
  return results;
}

/** Takes a due order for one run: counts the attempt and moves the lease on, only if nobody took it meanwhile. */
export function takeDeliveryStmt(db: D1Database, o: Pick<OrderRow, "tenant_id" | "id" | "status" | "next_delivery_at">, leaseUntilIso: string) {
  return db
    .prepare(
      `UPDATE orders SET delivery_attempts = delivery_attempts + 1, next_delivery_at = ?
       WHERE tenant_id = ? AND id = ? AND status = ? AND next_delivery_at = ? RETURNING *`,
    )
    .bind(leaseUntilIso, o.tenant_id, o.id, o.status, o.next_delivery_at);
}

/** Paid (or auto-failed) orders past their deadline that have not raised an alert yet; marks them so it is raised once. */
/** Paid (or mid-refund) orders still open since before `paidBeforeIso` and not yet alerted on. */
export async function stuckOrders(db: D1Database, paidBeforeIso: string, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT * FROM orders WHERE status IN ('paid', 'failed') AND next_delivery_at IS NOT NULL
         AND stuck_alerted_at IS NULL AND paid_at < ?
         AND (status = 'paid' OR failure_reason IS NULL OR failure_reason NOT LIKE 'refund:%') AND ${GROUP_ORDER_WAITS_SQL} LIMIT ?`,
    )
    .bind(paidBeforeIso, limit)
    .all<OrderRow>();
  return results;
}

/** Marks one order as alerted on, once (`changes() = 1` right after: this call marked it). */
export function markStuckStmt(db: D1Database, tenantId: string, id: string) {
  return db
    .prepare("UPDATE orders SET stuck_alerted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND stuck_alerted_at IS NULL")
    .bind(tenantId, id);
}

/**
 * One round trip for a buyer polling an order: the order, its vouchers (with each product's tutorial and scope), its open charge,
 * the kind of product it is for, and (given `buyerId`) the buyer row a session names (services/buyers.ts resolveBuyer
 * decides who that is).
 */
export async function orderWithVouchersAndCharge(db: D1Database, tenantId: string, orderId: string, buyerId?: string) {
  const [o, v, c, k, b] = await db.batch([
    db.prepare("SELECT * FROM orders WHERE tenant_id = ? AND id = ?").bind(tenantId, orderId),
    db
      .prepare(
        `SELECT v.*, p.tutorial AS product_tutorial, p.scope_text AS product_scope FROM vouchers v
         LEFT JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
         WHERE v.tenant_id = ? AND v.order_id = ? ORDER BY +v.source_key`,
      )
      .bind(tenantId, orderId),
    db.prepare("SELECT id FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'charge' ORDER BY created_at DESC LIMIT 1").bind(tenantId, orderId),
    // The name as sold (the order's snapshot), else the product's own.
    db.prepare(
      `SELECT p.kind, COALESCE(s.name, p.name) AS name FROM orders o JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       LEFT JOIN order_snapshots s ON s.order_id = o.id WHERE o.tenant_id = ? AND o.id = ?`,
    ).bind(tenantId, orderId),
    ...(buyerId ? [buyerStmt(db, tenantId, buyerId)] : []),
  ]);
  const product = k!.results[0] as { kind: string; name: string } | undefined;
  return {
    productKind: product?.kind ?? null,
    productName: product?.name ?? null,
    buyer: (b?.results[0] as BuyerRow | undefined) ?? null,
    order: o!.results[0] as OrderRow | undefined,
    vouchers: v!.results as (VoucherRow & { product_tutorial: string | null; product_scope: string | null })[],
    charge: c!.results[0] as { id: string } | undefined,
  };
}
