/**
 * Coupons at checkout (issue 19): what a buyer holds that applies to an order (the quote), the pick checked when the
 * order is placed (createOrder then applies it in the order's own batch: db/coupons.ts applyCouponStmts), the
 * coupons an order gives back when it is refunded or cancelled, and the operator's budget view.
 */
import { CouponConfig, type CouponConfig as CouponConfigT } from "../../schema/catalog";
import type { CheckoutQuote, OrderCoupon } from "../../schema/coupons";
import type { BuyerFacts } from "../../schema/eligibility";
import {
  applyCouponStmts, appliedCouponsOf, ownsVoucher, budgetsOf, couponAppliedGuard, couponFactsStmt, couponReturnedGuard, heldCouponsStmt,
  orderCouponsStmt, returnCouponsStmts, upsertBudgetStmt, type CouponBuyerFactsRow, type HeldCouponRow, type OrderCouponRow,
} from "../db/coupons";
import { getProductRow, type ProductRow } from "../db/products";
import { shopMemberTerms } from "./membership";
import { orderRoom } from "./order-room";
import type { SqlGuard } from "../db/statements";
import {
  bestCombination, checkCoupon, evaluateChoice, type Applied, type CartLine, type Combination, type CouponContext, type HeldCoupon,
} from "../domain/coupon-pricing";
import { ApiError } from "../errors";
import { eventRows, type EventInput } from "../queue/emit";

export const STACKING_RULES =
  "每单每类最多一张（一口价 / 满减·首单·新人 / 折扣），同一叠加组内才可叠加，独享券不与其他券同用；先一口价，再满减，最后折扣（封顶），门槛按券前金额计，不会低于 0。 / " +
  "At most one coupon per class (fixed price / amount off / percent), only within one stack group, exclusive coupons alone; fixed price first, then amount, then percent (capped); thresholds count the subtotal before coupons; never below 0.";

/** A product's coupon settings as they stand, or null (old rows parse with the defaults: store-only 满减). */
export function couponConfigOf(configJson: string): CouponConfigT | null {
  try {
    const raw = (JSON.parse(configJson) as { coupon?: unknown }).coupon;
    if (!raw) return null;
    const parsed = CouponConfig.safeParse(raw);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const cartLine = (product: ProductRow, unitPriceCents: number, quantity: number): CartLine => ({
  productId: product.id, kind: product.kind, tags: JSON.parse(product.tags ?? "[]") as string[], unitPriceCents, quantity,
});

function factsOf(r: CouponBuyerFactsRow | null, city: string | null): BuyerFacts {
  return {
    segmentIds: new Set(r ? (JSON.parse(r.segment_ids || "[]") as (string | null)[]).filter((s): s is string => !!s) : []),
    signedUpAt: r?.signed_up_at ?? null,
    paidOrders: r?.paid_orders ?? 0,
    tierId: r?.tier_id ?? null,
    birthday: r?.birthday ?? null,
    city: r?.city ?? city,
  };
}

/** The buyer's held coupons, their facts and the budgets' room, in one round trip plus one for budgets. */
export async function couponContext(env: Pick<Env, "DB">, tenantId: string, buyerId: string, city: string | null = null) {
  const [heldR, factsR] = await env.DB.batch([heldCouponsStmt(env.DB, tenantId, buyerId), couponFactsStmt(env.DB, tenantId, buyerId)]);
  const held: HeldCoupon[] = [];
  for (const r of heldR!.results as HeldCouponRow[]) {
    const config = couponConfigOf(r.config);
    if (config) held.push({ voucherId: r.id, productId: r.product_id, title: r.title, status: r.status, validFrom: r.valid_from, validTo: r.valid_to, config });
  }
  const budgetCentsLeft = new Map<string, number>();
  for (const b of await budgetsOf(env.DB, tenantId, [...new Set(held.map((h) => h.productId))])) {
    if (b.max_cents !== null) budgetCentsLeft.set(b.product_id, Math.max(0, b.max_cents - b.applied_cents));
  }
  const ctx: CouponContext = { now: new Date(), facts: factsOf((factsR!.results[0] as CouponBuyerFactsRow | undefined) ?? null, city), budgetCentsLeft };
  return { held, ctx };
}

const quoted = (h: HeldCoupon) => ({
  voucherId: h.voucherId, couponProductId: h.productId, title: h.title, kind: h.config.kind, validTo: h.validTo,
  stackGroup: h.config.stacking.group, exclusive: h.config.stacking.exclusive,
});

/** The quote: held coupons that apply (each one's discount alone), the others with why, and the best combination. */
export async function quoteCoupons(env: Pick<Env, "DB">, tenantId: string, buyerId: string | null, line: CartLine, city: string | null, pick?: string[]): Promise<Omit<CheckoutQuote, "maxQuantity" | "limitLeft">> {
  const subtotalCents = line.unitPriceCents * line.quantity;
  const empty = { voucherIds: [], lines: [], discountCents: 0, totalCents: subtotalCents };
  const base = { productId: line.productId, quantity: line.quantity, subtotalCents, rules: STACKING_RULES };
  if (!buyerId) return { ...base, applicable: [], inapplicable: [], best: empty };
  const { held, ctx } = await couponContext(env, tenantId, buyerId, city);
  const applicable: CheckoutQuote["applicable"] = [];
  const inapplicable: CheckoutQuote["inapplicable"] = [];
  const ok: HeldCoupon[] = [];
  for (const h of held) {
    const c = checkCoupon(h, line, ctx);
    if (c.ok) {
      ok.push(h);
      applicable.push({ ...quoted(h), discountCents: c.standaloneCents });
    } else inapplicable.push({ ...quoted(h), reason: c.reason, message: c.message, ...(c.rule ? { rule: c.rule } : {}) });
  }
  const best = bestCombination(ok, line, ctx.budgetCentsLeft);
  let chosen: CheckoutQuote["chosen"];
  if (pick) {
    const r = evaluateChoice(held, [...new Set(pick)], line, ctx);
    chosen = r.ok
      ? { voucherIds: r.combo.applied.map((a) => a.voucherId), lines: r.combo.applied.map(lineOf), discountCents: r.combo.discountCents, totalCents: r.combo.totalCents }
      : { voucherIds: pick, lines: [], discountCents: 0, totalCents: subtotalCents, problem: { voucherId: r.problem.voucherId, reason: r.problem.reason, message: r.problem.message } };
  }
  return {
    ...base, applicable, inapplicable, ...(chosen ? { chosen } : {}),
    best: { voucherIds: best.applied.map((a) => a.voucherId), lines: best.applied.map(lineOf), discountCents: best.discountCents, totalCents: best.totalCents },
  };
}

const lineOf = (a: Applied) => ({ voucherId: a.voucherId, couponProductId: a.productId, kind: a.kind, discountCents: a.discountCents });

/**
 * The buyer's pick for an order, checked (refusals: 422 invalid_coupon for a coupon they do not hold, 409 not_eligible
 * naming the rule, 409 coupon_not_applicable with the reason). Nothing is written here.
 */
export async function priceCoupons(env: Pick<Env, "DB">, tenantId: string, buyerId: string, line: CartLine, voucherIds: string[], city: string | null): Promise<Combination> {
  const unique = [...new Set(voucherIds)];
  const { held, ctx } = await couponContext(env, tenantId, buyerId, city);
  const r = evaluateChoice(held, unique, line, ctx);
  if (r.ok) return r.combo;
  const path = `json.couponVoucherIds.${voucherIds.indexOf(r.problem.voucherId)}`;
  if (r.problem.reason === "unknown") {
    // Their own coupon, used by another order meanwhile (or expired): a conflict, not a bad request.
    if (await ownsVoucher(env.DB, tenantId, buyerId, r.problem.voucherId)) throw ApiError.conflict("coupon_unavailable", "优惠券已使用或已过期 / This coupon was used or has expired");
    throw new ApiError(422, "invalid_coupon", "不是您持有的可用优惠券 / Not a usable coupon you hold", [{ path, message: r.problem.message, code: "invalid_coupon" }]);
  }
  if (r.problem.reason === "eligibility") {
    throw new ApiError(409, "not_eligible", r.problem.message, [{ path, message: r.problem.message, code: r.problem.rule ?? "eligibility" }]);
  }
  throw new ApiError(409, "coupon_not_applicable", r.problem.message, [{ path, message: r.problem.message, code: r.problem.reason }]);
}

/** The application's statements for an order placed with coupons (guarded on `guard`), with its coupon_applied events. */
export function couponApplyStmts(env: Pick<Env, "DB">, tenantId: string, orderId: string, buyerId: string, combo: Combination, guard: SqlGuard): D1PreparedStatement[] {
  const stmts: D1PreparedStatement[] = [];
  for (const a of combo.applied) stmts.push(...applyCouponStmts(env.DB, tenantId, orderId, buyerId, { voucherId: a.voucherId, productId: a.productId, kind: a.kind, discountCents: a.discountCents }, guard));
  return stmts;
}

export function couponAppliedEventRows(env: Pick<Env, "DB">, tenantId: string, orderId: string, productId: string, buyerId: string, combo: Combination): D1PreparedStatement[] {
  return combo.applied.flatMap((a, i) => {
    const event: EventInput = {
      eventId: `evca_${orderId}_${i}`, tenantId, type: "coupon_applied", actor: { userId: buyerId },
      payload: { orderId, productId, voucherId: a.voucherId, couponProductId: a.productId, couponKind: a.kind, discountCents: a.discountCents },
    };
    const exhausted: EventInput = { eventId: `evcbx_${a.productId}_cents`, tenantId, type: "coupon_budget_exhausted", payload: { couponProductId: a.productId, dimension: "cents" } };
    return [
      ...eventRows(env, [event], couponAppliedGuard(orderId, a.voucherId)),
      // Once: the derived id; recorded by the application that spent the last of the money budget.
      ...eventRows(env, [exhausted], {
        sql: "EXISTS (SELECT 1 FROM coupon_budgets WHERE tenant_id = ? AND product_id = ? AND max_cents IS NOT NULL AND exhausted_at IS NOT NULL) AND EXISTS (SELECT 1 FROM order_coupons WHERE order_id = ? AND voucher_id = ? AND state = 'applied')",
        args: [tenantId, a.productId, orderId, a.voucherId],
      }),
    ];
  });
}

/**
 * An order closing (cancel, lapse, refund): its applied coupons go back in the closing batch (guarded on `closed`);
 * a valid one is issued again with coupon_returned, an expired one stays used. Reads the order's coupons first (none:
 * nothing to add).
 */
export async function returnCouponsOnClose(env: Pick<Env, "DB">, tenantId: string, orderId: string, closed: SqlGuard, reason: string): Promise<D1PreparedStatement[]> {
  const rows = await appliedCouponsOf(env.DB, tenantId, orderId);
  if (!rows.length) return [];
  return [...returnCouponsStmts(env.DB, tenantId, orderId, closed), ...returnedEventRows(env, tenantId, orderId, rows, reason)];
}

function returnedEventRows(env: Pick<Env, "DB">, tenantId: string, orderId: string, rows: OrderCouponRow[], reason: string) {
  return rows.flatMap((r) => eventRows(env, [{
    eventId: `evcr_${orderId}_${r.voucher_id.slice(-12)}`, tenantId, type: "coupon_returned",
    payload: { orderId, voucherId: r.voucher_id, couponProductId: r.coupon_product_id, discountCents: r.discount_cents, reason },
  }], couponReturnedGuard(orderId, r.voucher_id)));
}

export async function couponsOfOrder(env: Pick<Env, "DB">, tenantId: string, orderId: string): Promise<OrderCoupon[]> {
  const { results } = await orderCouponsStmt(env.DB, tenantId, orderId).all<OrderCouponRow>();
  return results.map((r) => ({ voucherId: r.voucher_id, couponProductId: r.coupon_product_id, kind: r.coupon_kind, title: r.title ?? null, discountCents: r.discount_cents, state: r.state }));
}

/** Keeps a coupon product's budget row in step with its settings (create / edit). */
export async function syncCouponBudget(env: Pick<Env, "DB">, tenantId: string, product: Pick<ProductRow, "id" | "kind" | "config">) {
  if (product.kind !== "coupon") return;
  const c = couponConfigOf(product.config);
  if (!c) return;
  await upsertBudgetStmt(env.DB, tenantId, product.id, c.budget).run();
}

export async function couponBudgetStatus(env: Pick<Env, "DB">, tenantId: string, productId: string) {
  const [b] = await budgetsOf(env.DB, tenantId, [productId]);
  return {
    maxCount: b?.max_count ?? null, maxCents: b?.max_cents ?? null, issuedCount: b?.issued_count ?? 0, appliedCount: b?.applied_count ?? 0,
    appliedCents: b?.applied_cents ?? 0, exhaustedAt: b?.exhausted_at ?? null,
  };
}

/** The operator's view of a coupon product's budget (404 for another tenant's or a non-coupon product). */
export async function productCouponBudget(env: Pick<Env, "DB">, tenantId: string, productId: string) {
  const product = await getProductRow(env.DB, tenantId, productId);
  if (!product || product.kind !== "coupon") throw ApiError.notFound("Coupon product");
  return couponBudgetStatus(env, tenantId, productId);
}

/** The checkout quote for a published product of this store, at the buyer's price (members: their tier's), with how many they may order now. */
export async function checkoutQuote(env: Env, tenantId: string, buyerId: string | null, input: { productId: string; quantity: number; couponVoucherIds?: string[] }, city: string | null): Promise<CheckoutQuote> {
  const product = await getProductRow(env.DB, tenantId, input.productId);
  if (!product || product.status !== "published") throw ApiError.notFound("Product");
  const [terms, room] = await Promise.all([buyerId ? shopMemberTerms(env, tenantId, buyerId, product.id) : null, orderRoom(env.DB, tenantId, buyerId, product)]);
  const quote = await quoteCoupons(env, tenantId, buyerId, cartLine(product, terms?.unitPriceCents ?? product.price_cents, input.quantity), city, input.couponVoucherIds);
  return { ...quote, ...room };
}
