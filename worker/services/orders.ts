/**
 * Orders. `createOrder(env, {...})` is the one entry point for the storefront and for campaign claims
 * (flash sales pass source 'flash:<campaignId>', campaignId and their own unitPriceCents). It is idempotent by
 * idempotencyKey, reserves stock atomically (card keys: one guarded UPDATE; counters: guarded UPDATE + hold),
 * enforces the per-user limit in the insert itself, and opens a payment. A zero-amount order is paid at once
 * and delivered, so free claims need no payment step.
 */
import type { OrderStatus } from "../../schema/orders";
import { newId, sha256Hex } from "../domain/crypto";
import { buyerExists, insertGuest, type AcquisitionFacts } from "../db/buyers";
import { NO_ACQUISITION, signupEvents } from "./acquisition";
import { findLoopKey, keysHeldFor, mayHaveKeysStmt, releaseOrderKeysStmt, reserveCardKeysStmt } from "../db/card-keys";
import {
  lapsedOrders, getOrderByIdempotencyKey, getOrderRow, holdStockStmt, insertOrder, insertOrderStmt, recordHeldStmt,
  orderByIdempotencyKeyStmt, orderExists, settleHoldsStmts, transitionOrderStmt, type OrderRow,
} from "../db/orders";
import { chargeIdOfOrder, insertPaymentStmt } from "../db/payments";
import { lowStockCrossing, productRowStmt, type ProductRow } from "../db/products";
import { rechargeAccountProblem, type RechargeRule } from "../domain/recharge-account";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import { markPaidAndDeliver } from "./fulfilment";
import { hasSupplierRoute } from "./suppliers";
import { orderLines, type BundleLine } from "./order-lines";

export const DEFAULT_RESERVE_SECONDS = 15 * 60;

export interface CreateOrderParams {
  tenantId: string;
  buyerId: string;
  productId: string;
  quantity?: number;
  idempotencyKey: string;
  rechargeAccount?: string | null;
  /** 'store' (default) or e.g. 'flash:<campaignId>' */
  source?: string;
  campaignId?: string | null;
  /** Campaign price; defaults to the product price. */
  unitPriceCents?: number;
  reserveSeconds?: number;
  /** Campaign rights may be sold from draft products; the storefront requires published ones. */
  requirePublished?: boolean;
  /** buyerId is a fresh guest id (guest checkout): the guest row is inserted in the order's first D1 batch. */
  newGuest?: boolean;
  /** With newGuest: where that guest came from (user_signed_up leaves with the guest row). */
  acquisition?: AcquisitionFacts;
}

export interface CreatedOrder {
  order: OrderRow;
  created: boolean;
  paymentId: string | null;
}

export function checkoutPath(paymentId: string) {
  return `/api/v1/pay/sandbox/checkout/${paymentId}`;
}

export async function createOrder(env: Env, p: CreateOrderParams): Promise<CreatedOrder> {
  const db = env.DB;
  const quantity = p.quantity ?? 1;
  const requestHash = await sha256Hex(
    JSON.stringify([p.buyerId, p.productId, quantity, p.rechargeAccount ?? null, p.source ?? "store", p.unitPriceCents ?? null]),
  );
  // One round trip: (a new guest,) an earlier order under this key, the product, and whether it has a key left.
  // (A new guest with its sign-up events,) an earlier order under this key, the product, whether it has a key left.
  const guest = p.newGuest
    ? [insertGuest(db, p.tenantId, p.buyerId, p.acquisition ?? null), ...eventRows(env, signupEvents(p.tenantId, p.buyerId, "guest", p.acquisition ?? NO_ACQUISITION), buyerExists(p.tenantId, p.buyerId))]
    : [];
  const [priorR, productR, keyR] = (await db.batch([
    ...guest,
    orderByIdempotencyKeyStmt(db, p.tenantId, p.idempotencyKey),
    productRowStmt(db, p.tenantId, p.productId),
    mayHaveKeysStmt(db, p.tenantId, p.productId),
  ])).slice(guest.length);
  const prior = priorR!.results[0] as OrderRow | undefined;
  if (prior) return repeat(env, prior, requestHash);

  const product = productR!.results[0] as ProductRow | undefined;
  if (!product || ((p.requirePublished ?? true) && product.status !== "published")) throw ApiError.notFound("Product");
  const lines = await orderLines(db, p.tenantId, product, quantity);
  for (const line of lines) {
    if (line.product.kind !== "direct_recharge") continue;
    if (!p.rechargeAccount) throw ApiError.badRequest("recharge_account_required", "This product is recharged into an account: give rechargeAccount");
    const rule = (JSON.parse(line.product.config) as { recharge?: RechargeRule }).recharge;
    const problem = rechargeAccountProblem(rule, p.rechargeAccount);
    if (problem) {
      throw new ApiError(422, "invalid_recharge_account", `${problem.zh} / ${problem.en}`, [
        { path: "body.rechargeAccount", message: problem.en, code: "invalid_recharge_account" },
      ]);
    }
  }
  // Cheap refusal when a card-key line is plainly empty, so a crowd on a sold-out product creates no orders.
  for (const line of lines) {
    if (line.product.kind !== "card_key") continue;
    const mayHave = line.product.id === p.productId ? keyR!.results.length > 0 : await mayHaveKeys(db, p.tenantId, line.product.id);
    if (!mayHave && !(await hasSupplierRoute(db, p.tenantId, line.product.id))) throw ApiError.conflict("sold_out", "Out of stock");
  }

  const unit = p.unitPriceCents ?? product.price_cents;
  const reserveS = p.reserveSeconds ?? (Number(env.ORDER_RESERVE_SECONDS) || DEFAULT_RESERVE_SECONDS);
  const reservedUntil = new Date(Date.now() + reserveS * 1000).toISOString();
  const order = {
    id: newId("ord"),
    tenant_id: p.tenantId,
    buyer_id: p.buyerId,
    product_id: product.id,
    quantity,
    unit_price_cents: unit,
    amount_cents: unit * quantity,
    currency: product.currency,
    idempotency_key: p.idempotencyKey,
    request_hash: requestHash,
    source: p.source ?? "store",
    campaign_id: p.campaignId ?? null,
    recharge_account: p.rechargeAccount ?? null,
    reserved_until: reservedUntil,
  };
  const createdEvent: EventInput = {
    eventId: `evon_${order.id}`,
    tenantId: p.tenantId,
    type: "order_created",
    actor: { userId: p.buyerId },
    payload: { orderId: order.id, productId: product.id, kind: product.kind, quantity, amountCents: order.amount_cents, source: order.source, campaignId: order.campaign_id },
  };
  const paymentId = order.amount_cents > 0 ? newId("pay") : null;
  const payment = paymentId
    ? { id: paymentId, tenant_id: p.tenantId, order_id: order.id, provider: "sandbox", kind: "charge" as const, amount_cents: order.amount_cents, currency: order.currency }
    : null;
  let row: OrderRow | undefined;
  let paymentOpen = false;
  if (product.kind === "card_key") {
    // The common case in one transaction: insert the order (refused on a reused key or over the per-buyer limit),
    // reserve keys only for the order just inserted, and open the payment only when every key
    // was reserved. A shortfall is undone and handled the general way below (loop keys, suppliers, lapsed holds).
    const justInserted = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'created')", args: [p.tenantId, order.id] };
    const stmts = [
      insertOrderStmt(db, order, product.per_user_limit),
      reserveCardKeysStmt(db, p.tenantId, product.id, order.id, quantity, reservedUntil, justInserted),
    ];
    if (payment) {
      stmts.push(insertPaymentStmt(db, payment, {
        sql: `${justInserted.sql} AND (SELECT COUNT(*) FROM card_keys WHERE tenant_id = ? AND order_id = ? AND status = 'reserved') >= ?`,
        args: [...justInserted.args, p.tenantId, order.id, quantity],
      }));
    }
    // order_created with the insert (id derived from the fresh order id: only this call's insert records it).
    stmts.push(...eventRows(env, [createdEvent], orderExists(p.tenantId, order.id)));
    // low_stock with the reservation that crossed the threshold (every key reserved; a shortfall is undone below).
    stmts.push(...lowStockRows(env, p.tenantId, product, order.id, keysHeldFor(p.tenantId, product.id, order.id, quantity)));
    const [ins, reserved, opened] = await db.batch(stmts);
    row = ins!.results[0] as OrderRow | undefined;
    if (!row) return refused(env, p, product, requestHash);
    const got = reserved!.results.length;
    if (got >= quantity) {
      paymentOpen = !!payment && opened!.meta.changes > 0;
    } else {
      if (got) await releaseHeld(env, p.tenantId, order.id);
      await reserveOrCancel(env, order.id, p.tenantId, product, lines, quantity, reservedUntil);
    }
  } else {
    if (!(await insertOrder(db, order, product.per_user_limit, eventRows(env, [createdEvent], orderExists(p.tenantId, order.id))))) {
      return refused(env, p, product, requestHash);
    }
    await reserveOrCancel(env, order.id, p.tenantId, product, lines, quantity, reservedUntil);
  }

  if (payment && !paymentOpen) await insertPaymentStmt(db, payment).run();
  // Reserving keys and opening the payment do not change the order row: the inserted one is current.
  row ??= (await getOrderRow(db, p.tenantId, order.id))!;
  if (order.amount_cents === 0) {
    // Free rights (e.g. a won claim): no payment step.
    row = await markPaidAndDeliver(env, row);
  }
  return { order: row, created: true, paymentId };
}

/** The insert did nothing: the key was used meanwhile (answer as a repeat) or the buyer is at the limit. */
async function refused(env: Env, p: CreateOrderParams, product: ProductRow, requestHash: string): Promise<CreatedOrder> {
  const raced = await getOrderByIdempotencyKey(env.DB, p.tenantId, p.idempotencyKey);
  if (raced) return repeat(env, raced, requestHash);
  throw ApiError.conflict("purchase_limit", `At most ${product.per_user_limit} per buyer for this product`);
}

/** Reserves every line (retrying once after releasing lapsed reservations); on a shortfall cancels and throws sold_out. */
async function reserveOrCancel(
  env: Env, orderId: string, tenantId: string, product: ProductRow, lines: BundleLine[], quantity: number,
  reservedUntil: string,
) {
  let ok = await reserve(env, orderId, tenantId, product, lines, quantity, reservedUntil);
  if (!ok && (await releaseExpired(env, tenantId)) > 0) {
    await releaseHeld(env, tenantId, orderId);
    ok = await reserve(env, orderId, tenantId, product, lines, quantity, reservedUntil);
  }
  if (!ok) {
    await release(env, tenantId, orderId, ["created"], "cancelled", "out_of_stock");
    throw ApiError.conflict("sold_out", "Out of stock");
  }
}

async function repeat(env: Env, prior: OrderRow, requestHash: string): Promise<CreatedOrder> {
  if (prior.request_hash !== requestHash) {
    throw ApiError.conflict("idempotency_key_reused", "This Idempotency-Key was used for a different order");
  }
  if (prior.status === "cancelled" && prior.failure_reason === "out_of_stock") throw ApiError.conflict("sold_out", "Out of stock");
  if (prior.failure_reason === "purchase_limit") throw ApiError.conflict("purchase_limit", "Purchase limit reached");
  return { order: prior, created: false, paymentId: await chargeIdOfOrder(env.DB, prior.tenant_id, prior.id) };
}

/** Takes stock for every line; on any shortfall gives back what it took and returns false. */
async function reserve(
  env: Env, orderId: string, tenantId: string, product: ProductRow, lines: BundleLine[], quantity: number,
  reservedUntil: string,
): Promise<boolean> {
  const db = env.DB;
  const counterHolds: { productId: string; product: ProductRow; quantity: number }[] = [];
  if (product.kind === "bundle") counterHolds.push({ productId: product.id, product, quantity });
  for (const line of lines) {
    if (line.product.kind === "card_key") {
      const [reserved] = await db.batch([
        reserveCardKeysStmt(db, tenantId, line.product.id, orderId, line.quantity, reservedUntil),
        ...lowStockRows(env, tenantId, line.product, orderId, keysHeldFor(tenantId, line.product.id, orderId)),
      ]);
      const got = reserved!.results.length;
      // Short of own keys: a loop key or an upstream supplier (keys bought at delivery) can make up the rest.
      if (got < line.quantity && !(await findLoopKey(db, tenantId, line.product.id)) && !(await hasSupplierRoute(db, tenantId, line.product.id))) return false;
    } else counterHolds.push({ productId: line.product.id, product: line.product, quantity: line.quantity });
  }
  for (const h of counterHolds) {
    // changes() is the row count of the statement before it in this transaction: the hold is recorded only if taken.
    // low_stock right after the hold row: `changes() = 1` there means this very hold was taken.
    const [held] = await db.batch([
      holdStockStmt(db, tenantId, h.productId, orderId, h.quantity),
      recordHeldStmt(db, tenantId, h.productId, orderId, h.quantity),
      ...lowStockRows(env, tenantId, h.product, orderId, { sql: "SELECT ? WHERE changes() = 1", args: [h.quantity] }),
    ]);
    if (!held!.results[0]) return false;
  }
  return true;
}

/**
 * low_stock in a reservation's own batch: recorded only when this order's reservation (`taken`) crossed the threshold.
 * Event ids are at most 64 characters: the order id and the product id's random tail name it.
 */
function lowStockRows(env: Env, tenantId: string, product: ProductRow, orderId: string, taken: { sql: string; args: unknown[] }) {
  const { available, guard } = lowStockCrossing(tenantId, product, taken);
  const event: EventInput = { eventId: `evls_${orderId}_${product.id.slice(-10)}`, tenantId, type: "low_stock", payload: { productId: product.id, available: 0, threshold: product.low_stock_threshold } };
  return eventRows(env, [event], guard, [{ path: "$.payload.available", ...available }]);
}

async function mayHaveKeys(db: D1Database, tenantId: string, productId: string): Promise<boolean> {
  return (await mayHaveKeysStmt(db, tenantId, productId).first<{ y: number }>()) !== null;
}

/** Undoes a partial reservation of a still-open order before trying again. */
async function releaseHeld(env: Env, tenantId: string, orderId: string) {
  await env.DB.batch([releaseOrderKeysStmt(env.DB, tenantId, orderId), ...settleHoldsStmts(env.DB, tenantId, orderId, "released")]);
}

/**
 * Moves the order to `to` and gives its stock back (keys → available, counter holds → released) in one batch, so a
 * crash cannot leave a closed order holding stock. The release and the events are guarded on the order's new status.
 */
export async function release(
  env: Env, tenantId: string, orderId: string, from: OrderStatus[], to: OrderStatus, reason?: string,
  events: EventInput[] = [],
  /** Only if its reservation ran out before this instant (expiry by the cron). */
  lapsedBefore?: string,
): Promise<OrderRow | null> {
  const db = env.DB;
  const closed = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = ?)", args: [tenantId, orderId, to] };
  const [moved] = await db.batch([
    transitionOrderStmt(db, tenantId, orderId, from, to, { failureReason: reason, lapsedBefore }),
    releaseOrderKeysStmt(db, tenantId, orderId, closed),
    ...settleHoldsStmts(db, tenantId, orderId, "released", closed),
    ...eventRows(env, events, closed),
  ]);
  return (moved!.results[0] as OrderRow | undefined) ?? null;
}

export async function cancelOrder(env: Env, tenantId: string, orderId: string, buyerId: string): Promise<OrderRow> {
  const row = await getOrderRow(env.DB, tenantId, orderId);
  if (!row || row.buyer_id !== buyerId) throw ApiError.notFound("Order");
  const moved = await release(env, tenantId, orderId, ["created"], "cancelled", "cancelled_by_buyer", [
    { eventId: `evoc_${orderId}`, tenantId, type: "order_cancelled", actor: { userId: buyerId }, payload: { orderId, productId: row.product_id } },
  ]);
  if (!moved) throw ApiError.conflict("order_not_cancellable", `An order in status '${row.status}' cannot be cancelled`);
  return moved;
}

/** Expires unpaid orders whose reservation ran out and gives their stock back. Cheap when there is nothing to do. */
export async function releaseExpired(env: Env, tenantId: string | null): Promise<number> {
  const now = new Date().toISOString();
  let expired = 0;
  // Each order in its own batch: expired, stock back and order_cancelled together (a payment landing meanwhile wins).
  for (const o of await lapsedOrders(env.DB, tenantId, now)) {
    const event = { eventId: `evoc_${o.id}`, tenantId: o.tenant_id, type: "order_cancelled" as const, actor: { userId: o.buyer_id }, payload: { orderId: o.id, productId: o.product_id, reason: "expired" } };
    if (await release(env, o.tenant_id, o.id, ["created"], "expired", undefined, [event], now)) expired++;
  }
  if (expired) await scheduleDispatch(env);
  return expired;
}
