/**
 * Orders. `createOrder(env, {...})` is the one entry point for the storefront and for campaign claims
 * (flash sales pass source 'flash:<campaignId>', campaignId and their own unitPriceCents). It is idempotent by
 * idempotencyKey, reserves stock atomically (card keys: one guarded UPDATE; counters: guarded UPDATE + hold),
 * enforces the per-user limit in the insert itself, and opens a payment. A zero-amount order is paid at once
 * and delivered, so free claims need no payment step.
 */
import { validityEnded } from "../domain/validity";
import type { OrderStatus } from "../../schema/orders";
import { newId, sha256Hex } from "../domain/crypto";
import { buyerExists, insertGuest, type AcquisitionFacts } from "../db/buyers";
import { NO_ACQUISITION, signupEvents } from "./acquisition";
import { findLoopKey, keysHeldFor, mayHaveKeysStmt, releaseOrderKeysStmt, reserveCardKeysStmt } from "../db/card-keys";
import {
  lapsedOrders, getOrderByIdempotencyKey, getOrderRow, holdStockStmt, insertOrder, insertOrderStmt, recordHeldStmt, buyerUnits,
  orderByIdempotencyKeyStmt, orderExists, settleHoldsStmts, takenByOrder, transitionOrderStmt, type OrderRow,
} from "../db/orders";
import { chargeIdOfOrder, insertPaymentStmt } from "../db/payments";
import { chargeAtExpiry, closeChargeOfOrder, type PaidAtGateway } from "./charges";
import { getProductRow, lowStockCrossing, productRowStmt, rowValidity, type ProductRow } from "../db/products";
import { rechargeAccountProblem, type RechargeRule } from "../domain/recharge-account";
import { insertSnapshotStmt } from "../db/order-console";
import { memberDiscountStmt, type MemberDiscount } from "../db/membership";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import type { SqlGuard } from "../db/statements";
import { markPaidAndDeliver } from "./fulfilment";
import { hasSupplierRoute } from "./suppliers";
import { orderLines, type BundleLine } from "./order-lines";
import { checkoutDebited, checkoutDebitStmts, returnOrderBalanceStmts, type CheckoutDebit } from "./stored-value";
import { allCouponsApplied, APPLY_STMTS_PER_COUPON, countBudgetSpentCents } from "../db/coupons";
import type { Combination } from "../domain/coupon-pricing";
import { cartLine, couponAppliedEventRows, couponApplyStmts, priceCoupons, returnCouponsOnClose } from "./coupons";
import { newGuestTerms } from "./membership";
import { returnLapsedWin, winCostHandedBack } from "./campaign-lapse";

export const DEFAULT_RESERVE_SECONDS = 15 * 60;
const NOTHING_TO_PAY_RESERVE_S = 120;

export interface CreateOrderParams {
  tenantId: string;
  buyerId: string;
  /**
   * Who the request is, for its idempotency hash, when that is not buyerId: a won claim's winner whose guest was
   * attached to the account buyerId since, or a reward's own id (an assist request, an invite's side) whose holder may
   * change the same way. A retry from before the attachment then matches; the order is buyerId's.
   */
  winnerId?: string;
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
  /**
   * buyerId is a fresh guest id (guest checkout): the guest row is inserted in the order's first D1 batch, and a
   * members-only product or a paid card is refused (403) with nothing written.
   */
  newGuest?: boolean;
  /** With newGuest: where that guest came from (user_signed_up leaves with the guest row). */
  acquisition?: AcquisitionFacts;
  /** Part of the amount paid from the member's stored-value balance, debited in the order's own batch (services/stored-value.ts checkoutPayer). */
  storedValue?: CheckoutDebit;
  /** Coupons the buyer holds, applied to this order in its own batch (issue 19; services/coupons.ts). */
  couponVoucherIds?: string[];
  /** The request's city, for coupons with a city rule. */
  city?: string | null;
  /** Storefront orders: the most units of the product the buyer may hold in unpaid orders, this one included (0: no cap). */
  maxUnpaidUnits?: number;
  /**
   * false for a reward or benefit the brand owes (an invite or assist reward, a member's pack or gift): the product's per-buyer purchase limit (限购)
   * caps what a buyer buys, not what they are given, so a buyer who bought the limit still gets the reward, and one
   * given it can still buy the limit (the order is not counted: counts_to_limit 0).
   */
  purchaseLimit?: boolean;
  /** A member's price (unitPriceCents): recorded with the order, in its own batch (the cashier's 会员价优惠 line). */
  memberDiscount?: MemberDiscount;
}

export interface CreatedOrder {
  order: OrderRow;
  created: boolean;
  paymentId: string | null;
}

/** The per-buyer limit this order is held to (0: none). */
const perUserLimit = (p: CreateOrderParams, product: ProductRow) => (p.purchaseLimit === false ? 0 : product.per_user_limit);

export function checkoutPath(paymentId: string) {
  return `/api/v1/pay/checkout/${paymentId}`;
}

/** What an order reads before it is placed: the product (first), an earlier order under its key, whether a key is left. */
export function orderReadStmts(db: D1Database, p: Pick<CreateOrderParams, "tenantId" | "idempotencyKey" | "productId">): D1PreparedStatement[] {
  return [productRowStmt(db, p.tenantId, p.productId), orderByIdempotencyKeyStmt(db, p.tenantId, p.idempotencyKey), mayHaveKeysStmt(db, p.tenantId, p.productId)];
}

/**
 * `read`: the results of orderReadStmts, when the caller ran them in a batch of its own reads (a returning buyer's
 * member terms, services/shop.ts); ignored for a new guest, whose row is written with them.
 */
export async function createOrder(env: Env, p: CreateOrderParams, read?: D1Result[]): Promise<CreatedOrder> {
  const db = env.DB;
  const requestHash = await requestHashOf(p);
  // One round trip: (a new guest with its sign-up events, and what a non-member may order,) an earlier order under
  // this key, the product, whether it has a key left. A new guest is no member: its row is written only for a product
  // a non-member may order, which the terms' check confirms before anything else.
  const terms = p.newGuest ? newGuestTerms(db, p.tenantId, p.productId) : null;
  const guest = terms
    ? [insertGuest(db, p.tenantId, p.buyerId, p.acquisition ?? null, terms.guard), ...eventRows(env, signupEvents(env, p.tenantId, p.buyerId, "guest", p.acquisition ?? NO_ACQUISITION), buyerExists(p.tenantId, p.buyerId))]
    : [];
  const results = read && !terms ? read : (await db.batch([...guest, ...orderReadStmts(db, p), ...(terms?.reads ?? [])])).slice(guest.length);
  terms?.check(results.slice(3));
  const [productR, priorR, keyR] = results;
  const prior = priorR!.results[0] as OrderRow | undefined;
  if (prior) return repeat(env, prior, requestHash, p);

  const product = sellable(p, productR!.results[0] as ProductRow | undefined);
  const coupons = p.couponVoucherIds?.length ? await couponsFor(env, p, product) : undefined;
  if (p.storedValue) assertBalancePart(p, product, coupons?.discountCents ?? 0);
  const lines = await orderLines(db, p.tenantId, product, p.quantity ?? 1);
  await assertLinesOrderable(env, p, lines, keyR!.results.length > 0);
  const d = draftOrder(env, p, product, requestHash, coupons);
  if (product.kind === "bundle") {
    if (!(await insertOrder(db, d.order, perUserLimit(p, product), [
      ...eventRows(env, [d.createdEvent], orderExists(p.tenantId, d.order.id)), insertSnapshotStmt(db, p.tenantId, d.order.id),
      ...(p.memberDiscount ? [memberDiscountStmt(db, p.tenantId, d.order.id, p.memberDiscount)] : []),
    ], p.maxUnpaidUnits))) {
      return refused(env, p, product, requestHash);
    }
    await reserveOrCancel(env, d.order.id, p.tenantId, product, lines, d.order.quantity, d.reservedUntil);
    return finishPlaced(env, d, product, lines, { row: undefined, got: d.order.quantity, paymentOpen: false, inserted: true, couponsApplied: 0 });
  }
  const stmts = placeStmts(env, d, product);
  return finishPlaced(env, d, product, lines, placedOf(await db.batch(stmts), d, product));
}

/**
 * The product an order may be placed for (404 when missing, or a draft and the storefront asks; 409 at the
 * storefront when its fixed validity is over: the right would be dead on arrival).
 */
export function sellable(p: Pick<CreateOrderParams, "requirePublished">, product: ProductRow | undefined, now = Date.now()): ProductRow {
  const storefront = p.requirePublished ?? true;
  if (!product || (storefront && product.status !== "published")) throw ApiError.notFound("Product");
  if (storefront && validityEnded(rowValidity(product), now)) throw ApiError.conflict("validity_ended", "This product's validity has ended; it is no longer sold");
  return product;
}

export const requestHashOf = (p: CreateOrderParams) =>
  sha256Hex(JSON.stringify([
    p.winnerId ?? p.buyerId, p.productId, p.quantity ?? 1, p.rechargeAccount ?? null, p.source ?? "store", p.unitPriceCents ?? null, ...(p.storedValue ? [p.storedValue.cents] : []),
    ...(p.couponVoucherIds?.length ? [[...new Set(p.couponVoucherIds)].sort()] : []),
  ]));

/** The buyer's coupons for this order, checked and priced (a bundle's general path has no one batch to join). */
async function couponsFor(env: Env, p: CreateOrderParams, product: ProductRow): Promise<Combination> {
  if (product.kind === "bundle") {
    throw new ApiError(422, "invalid_coupon", "Coupons cannot be used on a bundle", [{ path: "json.couponVoucherIds", message: "not for bundles", code: "invalid_coupon" }]);
  }
  const unit = p.unitPriceCents ?? product.price_cents;
  return priceCoupons(env, p.tenantId, p.buyerId, cartLine(product, unit, p.quantity ?? 1), p.couponVoucherIds!, p.city ?? null);
}

/** A balance part fits inside the amount and a single-product order (a bundle's general path has no one batch to join). */
function assertBalancePart(p: CreateOrderParams, product: ProductRow, discountCents = 0) {
  const amount = (p.unitPriceCents ?? product.price_cents) * (p.quantity ?? 1) - discountCents;
  const issue = (message: string) => new ApiError(422, "invalid_stored_value", message, [{ path: "json.storedValueCents", message, code: "invalid_stored_value" }]);
  if (product.kind === "bundle") throw issue("A bundle cannot be paid from the stored-value balance");
  if (p.storedValue!.cents > amount) throw issue(`At most the order amount (${amount}) may be paid from the balance`);
}

/** A recharge line needs a valid account; a card-key line plainly empty (no key, no supplier) is refused before any write. */
export async function assertLinesOrderable(env: Env, p: CreateOrderParams, lines: BundleLine[], ownMayHaveKeys: boolean) {
  for (const line of lines) {
    if (line.product.kind !== "direct_recharge") continue;
    if (!p.rechargeAccount) throw ApiError.badRequest("recharge_account_required", "This product is recharged into an account: give rechargeAccount");
    const rule = (JSON.parse(line.product.config) as { recharge?: RechargeRule }).recharge;
    const problem = rechargeAccountProblem(rule, p.rechargeAccount);
    if (problem) {
      throw new ApiError(422, "invalid_recharge_account", `${problem.zh} / ${problem.en}`, [
        { path: "json.rechargeAccount", message: problem.en, code: "invalid_recharge_account" },
      ]);
    }
  }
  // Cheap refusal when a card-key line is plainly empty, so a crowd on a sold-out product creates no orders.
  for (const line of lines) {
    if (line.product.kind !== "card_key") continue;
    const mayHave = line.product.id === p.productId ? ownMayHaveKeys : await mayHaveKeys(env.DB, p.tenantId, line.product.id);
    if (!mayHave && !(await hasSupplierRoute(env.DB, p.tenantId, line.product.id))) throw ApiError.conflict("sold_out", "Out of stock");
  }
}

export interface DraftOrder {
  p: CreateOrderParams;
  requestHash: string;
  order: Parameters<typeof insertOrderStmt>[1];
  payment: Parameters<typeof insertPaymentStmt>[1] | null;
  createdEvent: EventInput;
  reservedUntil: string;
  /** The coupons this order is placed with (their discount is already off amount_cents). */
  coupons?: Combination;
}

export function draftOrder(env: Env, p: CreateOrderParams, product: ProductRow, requestHash: string, coupons?: Combination): DraftOrder {
  const quantity = p.quantity ?? 1;
  const unit = p.unitPriceCents ?? product.price_cents;
  const amountCents = unit * quantity - (coupons?.discountCents ?? 0);
  const cash = amountCents - (p.storedValue?.cents ?? 0);
  // Nothing to pay: paid by the request that places it, so its reservation only bounds how long a crash leaves it
  // open before the expiry finishes it (releaseExpired).
  const reserveS = Math.min(p.reserveSeconds ?? (Number(env.ORDER_RESERVE_SECONDS) || DEFAULT_RESERVE_SECONDS), cash > 0 ? Infinity : NOTHING_TO_PAY_RESERVE_S);
  const reservedUntil = new Date(Date.now() + reserveS * 1000).toISOString();
  const order = {
    id: newId("ord"),
    tenant_id: p.tenantId,
    buyer_id: p.buyerId,
    product_id: product.id,
    quantity,
    unit_price_cents: unit,
    amount_cents: amountCents,
    discount_cents: coupons?.discountCents ?? 0,
    counts_to_limit: p.purchaseLimit === false ? 0 : 1,
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
  const payment = cash > 0
    ? { id: newId("pay"), tenant_id: p.tenantId, order_id: order.id, provider: "sandbox", kind: "charge" as const, amount_cents: cash, currency: order.currency }
    : null;
  return { p, requestHash, order, payment, createdEvent, reservedUntil, coupons };
}

/**
 * The common case of one order (any product but a bundle) as statements for one transaction: insert the order
 * (refused on a reused key or over the per-buyer limit), take its stock only for the order just inserted (card keys:
 * one guarded UPDATE; counters: guarded hold + its row), open the payment only when all of it was taken, and record
 * order_created (and low_stock when this order crossed the threshold). Several orders' statements may share one batch
 * (services/order-batch.ts): every guard names its own order. Read the results back with placedOf.
 */
export function placeStmts(env: Env, d: DraftOrder, product: ProductRow): D1PreparedStatement[] {
  const db = env.DB;
  const { order, payment } = d;
  const { tenant_id: tenantId, id: orderId, quantity } = order;
  const justInserted = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'created')", args: [tenantId, orderId] };
  // An order the balance pays in full is paid in this very batch: it holds nothing unpaid, so the cap does not apply.
  const paidInFull = (d.p.storedValue?.cents ?? 0) >= order.amount_cents;
  const stmts: D1PreparedStatement[] = [insertOrderStmt(db, order, perUserLimit(d.p, product), paidInFull ? 0 : d.p.maxUnpaidUnits)];
  let taken: SqlGuard;
  if (product.kind === "card_key") {
    stmts.push(reserveCardKeysStmt(db, tenantId, product.id, orderId, quantity, d.reservedUntil, justInserted));
    taken = { sql: `(SELECT COUNT(*) FROM card_keys WHERE tenant_id = ? AND order_id = ? AND status = 'reserved') >= ?`, args: [tenantId, orderId, quantity] };
  } else {
    stmts.push(holdStockStmt(db, tenantId, product.id, orderId, quantity, justInserted), recordHeldStmt(db, tenantId, product.id, orderId, quantity));
    taken = { sql: "EXISTS (SELECT 1 FROM order_stock_holds WHERE order_id = ? AND product_id = ? AND state = 'held')", args: [orderId, product.id] };
  }
  // Coupons (issue 19) only for the order just inserted with all its stock; the payment and the balance part only
  // when every chosen coupon went on.
  if (d.coupons) {
    stmts.push(...couponApplyStmts(env, tenantId, orderId, order.buyer_id, d.coupons, { sql: `${justInserted.sql} AND ${taken.sql}`, args: [...justInserted.args, ...taken.args] }));
    const all = allCouponsApplied(orderId, d.coupons.applied.length);
    taken = { sql: `${taken.sql} AND ${all.sql}`, args: [...taken.args, ...all.args] };
  }
  if (payment) stmts.push(insertPaymentStmt(db, payment, { sql: `${justInserted.sql} AND ${taken.sql}`, args: [...justInserted.args, ...taken.args] }));
  stmts.push(...eventRows(env, [d.createdEvent], orderExists(tenantId, orderId)));
  if (d.coupons) stmts.push(...couponAppliedEventRows(env, tenantId, orderId, product.id, order.buyer_id, d.coupons));
  // low_stock with the reservation that crossed the threshold (all of it taken; a shortfall is undone after).
  const held = product.kind === "card_key"
    ? keysHeldFor(tenantId, product.id, orderId, quantity)
    : { sql: "SELECT quantity FROM order_stock_holds WHERE order_id = ? AND product_id = ? AND state = 'held'", args: [orderId, product.id] };
  stmts.push(...lowStockRows(env, tenantId, product, orderId, held));
  // The balance part last: taken only for the order just inserted with all its stock (the payment's own condition).
  if (d.p.storedValue) stmts.push(...checkoutDebitStmts(env, tenantId, orderId, order.buyer_id, d.p.storedValue, { sql: `${justInserted.sql} AND ${taken.sql}`, args: [...justInserted.args, ...taken.args] }));
  // The product as sold (issue 21: the console's order detail), last so the results read above keep their places.
  stmts.push(insertSnapshotStmt(db, tenantId, orderId));
  if (d.p.memberDiscount) stmts.push(memberDiscountStmt(db, tenantId, orderId, d.p.memberDiscount));
  return stmts;
}

export interface Placed {
  /** The inserted row; none when the insert was refused (key reused meanwhile, per-buyer limit). */
  row: OrderRow | undefined;
  /** Units of stock taken for it. */
  got: number;
  paymentOpen: boolean;
  inserted: boolean;
  /** How many of the order's coupons went on in that batch. */
  couponsApplied: number;
}

/** placeStmts' results (the slice of a batch's results that its statements produced). */
export function placedOf(results: D1Result[], d: DraftOrder, product: ProductRow): Placed {
  const row = results[0]!.results[0] as OrderRow | undefined;
  const got = product.kind === "card_key" ? results[1]!.results.length : results[2]!.meta.changes > 0 ? d.order.quantity : 0;
  const couponsAt = product.kind === "card_key" ? 2 : 3;
  const n = d.coupons?.applied.length ?? 0;
  let couponsApplied = 0;
  for (let i = 0; i < n; i++) if (results[couponsAt + i * APPLY_STMTS_PER_COUPON + 1]!.meta.changes > 0) couponsApplied++;
  const paymentAt = couponsAt + n * APPLY_STMTS_PER_COUPON;
  return { row, got, paymentOpen: !!d.payment && !!row && results[paymentAt]!.meta.changes > 0, inserted: !!row, couponsApplied };
}

/** After the common case: a refusal answered, a shortfall taken the general way (or cancelled), the payment opened, a free order delivered. */
export async function finishPlaced(env: Env, d: DraftOrder, product: ProductRow, lines: BundleLine[], placed: Placed): Promise<CreatedOrder> {
  const { p, order, payment } = d;
  if (!placed.inserted) return refused(env, p, product, d.requestHash);
  if (placed.got < order.quantity) {
    if (placed.got) await releaseHeld(env, p.tenantId, order.id);
    await reserveOrCancel(env, order.id, p.tenantId, product, lines, order.quantity, d.reservedUntil);
  }
  if (d.coupons) await assertCouponsApplied(env, d, product, placed);
  if (p.storedValue && !(await checkoutDebited(env, p.tenantId, p.storedValue))) {
    // Stock came the general way (or the balance was short in the first batch): one guarded try, else closed.
    const open = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'created')", args: [p.tenantId, order.id] };
    await env.DB.batch(checkoutDebitStmts(env, p.tenantId, order.id, p.buyerId, p.storedValue, open));
    if (!(await checkoutDebited(env, p.tenantId, p.storedValue))) {
      await release(env, p.tenantId, order.id, ["created"], "cancelled", "insufficient_balance", [], undefined, !!d.coupons);
      throw ApiError.conflict("insufficient_balance", "余额不足 / The stored-value balance is too low for this part");
    }
  }
  if (payment && !placed.paymentOpen) await insertPaymentStmt(env.DB, payment).run();
  // Reserving stock and opening the payment do not change the order row: the inserted one is current.
  let row = placed.row ?? (await getOrderRow(env.DB, p.tenantId, order.id))!;
  if (!payment) {
    // Free rights (e.g. a won claim): no payment step.
    row = await markPaidAndDeliver(env, row);
  }
  return { order: row, created: true, paymentId: payment?.id ?? null };
}

/**
 * Every chosen coupon is on the order, or the order is cancelled (its coupons and stock given back) and refused:
 * 409 coupon_budget_exhausted when a budget ran out meanwhile, else coupon_unavailable (used by another order).
 * Stock taken the general way (a shortfall) had no coupons in its batch: they go on in one guarded batch here.
 */
async function assertCouponsApplied(env: Env, d: DraftOrder, product: ProductRow, placed: Placed) {
  const { p, order } = d;
  const combo = d.coupons!;
  let applied = placed.couponsApplied;
  if (applied < combo.applied.length && placed.got < order.quantity) {
    const open = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'created')", args: [p.tenantId, order.id] };
    const res = await env.DB.batch([
      ...couponApplyStmts(env, p.tenantId, order.id, p.buyerId, combo, open),
      ...couponAppliedEventRows(env, p.tenantId, order.id, product.id, p.buyerId, combo),
    ]);
    applied = combo.applied.filter((_, i) => res[i * APPLY_STMTS_PER_COUPON + 1]!.meta.changes > 0).length;
  }
  if (applied === combo.applied.length) return;
  await release(env, p.tenantId, order.id, ["created"], "cancelled", "coupon_unavailable");
  if (await countBudgetSpentCents(env.DB, p.tenantId, combo.applied)) {
    throw ApiError.conflict("coupon_budget_exhausted", "优惠券活动预算已用完 / This coupon's budget is spent");
  }
  throw ApiError.conflict("coupon_unavailable", "优惠券已被使用 / A chosen coupon was used meanwhile");
}

/** The insert did nothing: the key was used meanwhile (answer as a repeat) or the buyer is at the limit. */
export async function refused(env: Env, p: CreateOrderParams, product: ProductRow, requestHash: string): Promise<CreatedOrder> {
  const raced = await getOrderByIdempotencyKey(env.DB, p.tenantId, p.idempotencyKey);
  if (raced) return repeat(env, raced, requestHash, p);
  const quantity = p.quantity ?? 1;
  const unpaid = p.maxUnpaidUnits ? (await buyerUnits(env.DB, p.tenantId, p.buyerId, product.id)).unpaid : 0;
  if (p.maxUnpaidUnits && unpaid + quantity > p.maxUnpaidUnits) {
    throw ApiError.conflict("too_many_unpaid", `You already hold ${unpaid} unpaid item(s) of this product; pay for or cancel those orders first`);
  }
  throw ApiError.conflict("purchase_limit", `At most ${product.per_user_limit} per buyer for this product`);
}

/** Reserves every line (retrying once after releasing lapsed reservations); on a shortfall cancels and throws sold_out. */
async function reserveOrCancel(
  env: Env, orderId: string, tenantId: string, product: ProductRow, lines: BundleLine[], quantity: number,
  reservedUntil: string,
) {
  let ok = await reserve(env, orderId, tenantId, product, lines, quantity, reservedUntil);
  if (!ok && (await releaseExpired(env, tenantId)).expired > 0) {
    await releaseHeld(env, tenantId, orderId);
    ok = await reserve(env, orderId, tenantId, product, lines, quantity, reservedUntil);
  }
  if (!ok) {
    await release(env, tenantId, orderId, ["created"], "cancelled", "out_of_stock");
    throw ApiError.conflict("sold_out", "Out of stock");
  }
}

/**
 * `p`, when it names a winnerId: the order may also have been made under this key as buyerId's own request (hashed on
 * the buyer), as a release before winnerId keyed a reward's order — one whose recording a crash cut off is taken up.
 */
export async function repeat(env: Env, prior: OrderRow, requestHash: string, p?: CreateOrderParams): Promise<CreatedOrder> {
  if (prior.request_hash !== requestHash && !(p?.winnerId && prior.request_hash === (await requestHashOf({ ...p, winnerId: undefined })))) {
    throw ApiError.conflict("idempotency_key_reused", "This Idempotency-Key was used for a different order");
  }
  if (prior.status === "cancelled" && prior.failure_reason === "out_of_stock") throw ApiError.conflict("sold_out", "Out of stock");
  if (prior.failure_reason === "purchase_limit") throw ApiError.conflict("purchase_limit", "Purchase limit reached");
  if (prior.failure_reason === "coupon_unavailable") throw ApiError.conflict("coupon_unavailable", "优惠券已被使用 / A chosen coupon was used meanwhile");
  if (prior.failure_reason === "insufficient_balance") throw ApiError.conflict("insufficient_balance", "余额不足 / The stored-value balance is too low for this part");
  if (paidByBalanceOnly(prior)) return { order: await markPaidAndDeliver(env, prior), created: false, paymentId: null };
  if (isFree(prior)) return { order: (await completeFree(env, prior, true))!, created: false, paymentId: null };
  return { order: prior, created: false, paymentId: await chargeIdOfOrder(env.DB, prior.tenant_id, prior.id) };
}

/**
 * An order the balance paid in full that is still 'created': the request that debited it died before paying it (no
 * gateway notice will ever come). Its retry, or the expiry, pays and delivers it — the member's money is taken and
 * the stock held, so cancelling it would leave them with neither for the reservation's length.
 */
const paidByBalanceOnly = (o: OrderRow) => o.status === "created" && (o.stored_value_cents ?? 0) > 0 && o.stored_value_cents! >= o.amount_cents;

/** Nothing to pay and no balance part (a won ¥0 claim, a reward, coupons covering it all): paid at once when placed. */
const isFree = (o: OrderRow) => o.status === "created" && o.amount_cents <= 0 && !(o.stored_value_cents ?? 0);

/**
 * A free order still 'created': the request that placed it died before paying it (no payment step will come), so its
 * retry, or the expiry, finishes what finishPlaced would have. Its coupons must all be on it (else it is cancelled
 * as coupon_unavailable: it was priced with them) and its stock held (else taken now, or it is cancelled as sold out).
 * `refuse`: a retry gets the refusal the first request would have; the expiry only cancels.
 */
async function completeFree(env: Env, o: OrderRow, refuse: boolean): Promise<OrderRow | null> {
  const t = o.tenant_id;
  const [product, taken] = await Promise.all([getProductRow(env.DB, t, o.product_id), takenByOrder(env.DB, t, o.id)]);
  if ((o.discount_cents ?? 0) !== taken.couponCents) {
    if (!refuse) return null;
    const closed = await release(env, t, o.id, ["created"], "cancelled", "coupon_unavailable", [], undefined, true);
    if (closed) throw ApiError.conflict("coupon_unavailable", "优惠券已被使用 / A chosen coupon was used meanwhile");
    return (await getOrderRow(env.DB, t, o.id))!;
  }
  // A product gone is the delivery's to answer (failed, product_missing), as for any paid order.
  if (!product) return markPaidAndDeliver(env, o);
  const lines = await orderLines(env.DB, t, product, o.quantity);
  const counters = [...(product.kind === "bundle" ? [{ product, quantity: o.quantity }] : []), ...lines.filter((l) => l.product.kind !== "card_key")];
  const held = counters.every((c) => taken.holds.has(c.product.id))
    && lines.every((l) => l.product.kind !== "card_key" || (taken.keys.get(l.product.id) ?? 0) >= l.quantity);
  if (!held) {
    await releaseHeld(env, t, o.id);
    try {
      await reserveOrCancel(env, o.id, t, product, lines, o.quantity, new Date(Date.now() + 60_000).toISOString());
    } catch (e) {
      if (refuse) throw e;
      return (await getOrderRow(env.DB, t, o.id))!;
    }
  }
  return markPaidAndDeliver(env, o);
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
  /** Whether coupons took part (false: skip looking for them; unknown: look). */
  discounted?: boolean,
): Promise<OrderRow | null> {
  const db = env.DB;
  const closed = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = ?)", args: [tenantId, orderId, to] };
  // Coupons the order took go back with it (issue 19; nothing to add when it took none).
  const coupons = discounted === false ? [] : await returnCouponsOnClose(env, tenantId, orderId, closed, reason ?? to);
  const [moved] = await db.batch([
    transitionOrderStmt(db, tenantId, orderId, from, to, { failureReason: reason, lapsedBefore }),
    releaseOrderKeysStmt(db, tenantId, orderId, closed),
    ...settleHoldsStmts(db, tenantId, orderId, "released", closed),
    ...eventRows(env, events, closed),
    // An order's stored-value part goes back with it (nothing when it took none).
    ...returnOrderBalanceStmts(env, tenantId, orderId, closed),
    ...coupons,
  ]);
  return (moved!.results[0] as OrderRow | undefined) ?? null;
}

export async function cancelOrder(env: Env, tenantId: string, orderId: string, buyerId: string): Promise<OrderRow> {
  const row = await getOrderRow(env.DB, tenantId, orderId);
  if (!row || row.buyer_id !== buyerId) throw ApiError.notFound("Order");
  const moved = await release(env, tenantId, orderId, ["created"], "cancelled", "cancelled_by_buyer", [
    { eventId: `evoc_${orderId}`, tenantId, type: "order_cancelled", actor: { userId: buyerId }, payload: { orderId, productId: row.product_id, ...(await winCostHandedBack(env, row)) } },
  ], undefined, (row.discount_cents ?? 0) > 0);
  if (!moved) throw ApiError.conflict("order_not_cancellable", `An order in status '${row.status}' cannot be cancelled`);
  await afterLapse(env, moved);
  return moved;
}

/**
 * An unpaid order that lapsed (cancelled or expired): closed at the gateway so it can no longer be paid there (a
 * payment already on its way is refunded on arrival; the expiry closes it itself first), and a flash-sale win's unit
 * goes back to its campaign.
 */
async function afterLapse(env: Env, order: OrderRow, chargeClosed = false): Promise<void> {
  if (!chargeClosed) await closeChargeOfOrder(env, order).catch((e) => console.error(JSON.stringify({ at: "close_charge", orderId: order.id, error: e instanceof Error ? e.message : String(e) })));
  await returnLapsedWin(env, order);
}

/** How long past its reservation an order waits for a gateway that cannot be asked before it expires anyway. */
const UNREACHABLE_GRACE_MS = 30 * 60_000;
/** Gateways asked at once. */
const AT_ONCE = 8;

/**
 * Expires unpaid orders whose reservation ran out and gives their stock back. Cheap when there is nothing to do.
 * Each order's gateway is asked first (`chargeAtExpiry`): one it says was paid is not expired but returned in `paid`,
 * for the cron to credit (services/order-expiry.ts); one it cannot be asked about waits (asked again each minute) for
 * up to 30 minutes, then expires, and a notice arriving later is refunded as any payment for a closed order is.
 */
export async function releaseExpired(env: Env, tenantId: string | null): Promise<{ expired: number; paid: PaidAtGateway[] }> {
  const now = new Date().toISOString();
  const due = await lapsedOrders(env.DB, tenantId, now);
  const paid: PaidAtGateway[] = [];
  let expired = 0;
  const expireOne = async (o: OrderRow) => {
    // Once paid, a delivery that fails here is the delivery cron's (the move to 'paid' sets its lease).
    // Nothing to pay: paid and delivered instead (a free one whose coupons are not all on it expires as any order).
    if (paidByBalanceOnly(o) || isFree(o)) {
      const done = await (paidByBalanceOnly(o) ? markPaidAndDeliver(env, o) : completeFree(env, o, false))
        .catch((e) => void console.error(JSON.stringify({ at: "expiry_nothing_to_pay", orderId: o.id, error: e instanceof Error ? e.message : String(e) })));
      if (done !== null) return;
    }
    const check = await chargeAtExpiry(env, o);
    if (check.verdict === "paid") return void paid.push(check);
    if (check.verdict === "unknown" && Date.parse(o.reserved_until ?? now) > Date.parse(now) - UNREACHABLE_GRACE_MS) return;
    const event = { eventId: `evoc_${o.id}`, tenantId: o.tenant_id, type: "order_cancelled" as const, actor: { userId: o.buyer_id }, payload: { orderId: o.id, productId: o.product_id, reason: "expired", ...(await winCostHandedBack(env, o)) } };
    // One batch: expired, stock back and order_cancelled together (a payment landing meanwhile wins).
    const moved = await release(env, o.tenant_id, o.id, ["created"], "expired", undefined, [event], now, (o.discount_cents ?? 0) > 0);
    if (!moved) return;
    expired++;
    await afterLapse(env, moved, true);
  };
  for (let i = 0; i < due.length; i += AT_ONCE) await Promise.all(due.slice(i, i + AT_ONCE).map(expireOne));
  if (expired) await scheduleDispatch(env);
  return { expired, paid };
}
