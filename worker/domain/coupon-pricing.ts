/**
 * Coupons at checkout (issue 19), pure. Rules:
 * - A coupon reduces an order when it is online, valid now, in scope (product id, kind or tag; empty scope = any
 *   product but a coupon; never a bundle), its threshold is met by the order's subtotal BEFORE any coupon, its eligibility holds
 *   (first_order / new_member kinds add their own rule), and its budget has room for the discount.
 * - Kind classes: price (fixed_price) · amount (threshold, first_order, new_member) · percent. A combination holds at
 *   most one coupon per class, all in one stack group, none exclusive (an exclusive coupon is always alone).
 * - Applied in class order: fixed price on one item first, then the amount, then the percent on what remains (capped);
 *   every step is clamped so the order never goes below 0.
 * - Best combination: the largest total discount; ties go to fewer coupons, then the one that uses the coupon expiring
 *   soonest, then the smallest voucher ids (deterministic).
 */
import type { CouponConfig, ProductKind } from "../../schema/catalog";
import type { BuyerFacts, EligibilityRuleName } from "../../schema/eligibility";
import { eligibilityProblem } from "./eligibility";

export interface CartLine {
  productId: string;
  kind: ProductKind;
  tags: readonly string[];
  unitPriceCents: number;
  quantity: number;
}

export interface HeldCoupon {
  voucherId: string;
  productId: string;
  title: string;
  status: string;
  validFrom: string;
  validTo: string | null;
  config: CouponConfig;
}

export const INAPPLICABLE_REASONS = ["offline", "scope", "threshold", "eligibility", "expired", "budget", "used"] as const;
export type InapplicableReason = (typeof INAPPLICABLE_REASONS)[number];

export interface CouponContext {
  now: Date;
  facts: BuyerFacts;
  /** Discount cents left in each coupon product's budget (absent = unlimited). */
  budgetCentsLeft: ReadonlyMap<string, number>;
}

export type CouponCheck =
  | { ok: true; coupon: HeldCoupon; standaloneCents: number }
  | { ok: false; coupon: HeldCoupon; reason: InapplicableReason; message: string; rule?: EligibilityRuleName };

export type KindClass = "price" | "amount" | "percent";
export const kindClass = (k: CouponConfig["kind"]): KindClass => (k === "fixed_price" ? "price" : k === "percent" ? "percent" : "amount");
const CLASS_ORDER: KindClass[] = ["price", "amount", "percent"];

export const subtotalOf = (line: CartLine) => line.unitPriceCents * line.quantity;

export function inScope(c: CouponConfig, line: CartLine): boolean {
  // A bundle's order takes no coupon (services/orders.ts: its lines have no one batch to join), so none is offered.
  if (line.kind === "bundle") return false;
  const s = c.scope;
  if (s.productIds.length === 0 && s.kinds.length === 0 && s.tags.length === 0) return line.kind !== "coupon";
  return s.productIds.includes(line.productId) || s.kinds.includes(line.kind) || s.tags.some((t) => line.tags.includes(t));
}

/** The rule a first-order / new-member coupon adds to its eligibility. */
function kindEligibility(c: CouponConfig) {
  if (c.kind === "first_order") return { ...c.eligibility, firstOrder: true };
  if (c.kind === "new_member") return { ...c.eligibility, newUser: true, newUserDays: c.newMemberDays };
  return c.eligibility;
}

/** One coupon's discount taking `remaining` (the order so far) as it stands; never more than remaining. */
function stepDiscount(c: CouponConfig, line: CartLine, remaining: number): number {
  let off: number;
  if (c.kind === "fixed_price") off = Math.max(0, line.unitPriceCents - (c.fixedPriceCents ?? line.unitPriceCents));
  else if (c.kind === "percent") off = Math.min(Math.floor((remaining * (c.percentOff ?? 0)) / 100), c.capCents ?? Number.MAX_SAFE_INTEGER);
  else off = c.discountCents;
  return Math.max(0, Math.min(off, remaining));
}

export function checkCoupon(coupon: HeldCoupon, line: CartLine, ctx: CouponContext): CouponCheck {
  const c = coupon.config;
  const no = (reason: InapplicableReason, message: string): CouponCheck => ({ ok: false, coupon, reason, message });
  const now = ctx.now.toISOString();
  if (coupon.status !== "issued") return no("used", "已使用或不可用 / Already used or not usable");
  if (coupon.validTo !== null && coupon.validTo <= now) return no("expired", "已过期 / Expired");
  if (coupon.validFrom > now) return no("expired", "尚未生效 / Not valid yet");
  if (!c.online) return no("offline", "仅限门店使用 / Only at stores");
  if (!inScope(c, line)) return no("scope", "不适用于此商品 / Not for this product");
  const subtotal = subtotalOf(line);
  if (c.thresholdCents > 0 && subtotal < c.thresholdCents) {
    return no("threshold", `满 ${(c.thresholdCents / 100).toFixed(2)} 可用 / Needs an order of ${(c.thresholdCents / 100).toFixed(2)}`);
  }
  const refusal = eligibilityProblem(kindEligibility(c), ctx.facts, ctx.now);
  if (refusal) return { ok: false, coupon, reason: "eligibility", message: refusal.message, rule: refusal.rule };
  const standaloneCents = stepDiscount(c, line, subtotal);
  if (standaloneCents <= 0) return no("threshold", "此订单无优惠 / No discount on this order");
  const left = ctx.budgetCentsLeft.get(coupon.productId);
  if (left !== undefined && left < standaloneCents) return no("budget", "优惠券活动预算已用完 / This coupon's budget is spent");
  return { ok: true, coupon, standaloneCents };
}

export function combinable(a: HeldCoupon, b: HeldCoupon): boolean {
  return !a.config.stacking.exclusive && !b.config.stacking.exclusive && a.config.stacking.group === b.config.stacking.group
    && kindClass(a.config.kind) !== kindClass(b.config.kind);
}

export interface Applied {
  voucherId: string;
  productId: string;
  kind: CouponConfig["kind"];
  discountCents: number;
}

export interface Combination {
  applied: Applied[];
  discountCents: number;
  totalCents: number;
}

/** A set of coupons (each already checked applicable, pairwise combinable) applied in class order. */
export function applyCombination(coupons: HeldCoupon[], line: CartLine): Combination {
  const subtotal = subtotalOf(line);
  let remaining = subtotal;
  const applied: Applied[] = [];
  const ordered = [...coupons].sort((a, b) => CLASS_ORDER.indexOf(kindClass(a.config.kind)) - CLASS_ORDER.indexOf(kindClass(b.config.kind)));
  for (const c of ordered) {
    const off = stepDiscount(c.config, line, remaining);
    remaining -= off;
    applied.push({ voucherId: c.voucherId, productId: c.productId, kind: c.config.kind, discountCents: off });
  }
  return { applied, discountCents: subtotal - remaining, totalCents: remaining };
}

const expiryKey = (c: HeldCoupon) => c.validTo ?? "9999";

/** Is `a` a better pick than `b` (see the rules above)? */
function better(a: { cs: HeldCoupon[]; combo: Combination }, b: { cs: HeldCoupon[]; combo: Combination }): boolean {
  if (a.combo.discountCents !== b.combo.discountCents) return a.combo.discountCents > b.combo.discountCents;
  if (a.cs.length !== b.cs.length) return a.cs.length < b.cs.length;
  const ea = a.cs.map(expiryKey).sort()[0]!;
  const eb = b.cs.map(expiryKey).sort()[0]!;
  if (ea !== eb) return ea < eb;
  return a.cs.map((c) => c.voucherId).sort().join(",") < b.cs.map((c) => c.voucherId).sort().join(",");
}

/** The best combination of applicable coupons (empty when none); at most one per class, so at most three. */
export function bestCombination(applicable: HeldCoupon[], line: CartLine, budgetCentsLeft: ReadonlyMap<string, number> = new Map()): Combination {
  let best: { cs: HeldCoupon[]; combo: Combination } | null = null;
  const consider = (cs: HeldCoupon[]) => {
    const combo = applyCombination(cs, line);
    if (!withinBudgets(combo, budgetCentsLeft)) return;
    const cand = { cs, combo };
    if (!best || better(cand, best)) best = cand;
  };
  const n = applicable.length;
  for (let i = 0; i < n; i++) {
    const a = applicable[i]!;
    consider([a]);
    for (let j = i + 1; j < n; j++) {
      const b = applicable[j]!;
      if (!combinable(a, b)) continue;
      consider([a, b]);
      for (let k = j + 1; k < n; k++) {
        const c = applicable[k]!;
        if (combinable(a, c) && combinable(b, c)) consider([a, b, c]);
      }
    }
  }
  return (best as { combo: Combination } | null)?.combo ?? { applied: [], discountCents: 0, totalCents: subtotalOf(line) };
}

/** Two coupons of one product in a combination share its budget. */
function withinBudgets(combo: Combination, left: ReadonlyMap<string, number>): boolean {
  const take = new Map<string, number>();
  for (const a of combo.applied) take.set(a.productId, (take.get(a.productId) ?? 0) + a.discountCents);
  return [...take].every(([p, cents]) => !left.has(p) || left.get(p)! >= cents);
}

export type ChoiceProblem = { voucherId: string; reason: InapplicableReason | "not_combinable" | "unknown"; message: string; rule?: EligibilityRuleName };

/** The buyer's own pick: every chosen coupon applicable and the set combinable; else the first problem. */
export function evaluateChoice(held: HeldCoupon[], chosenIds: string[], line: CartLine, ctx: CouponContext): { ok: true; combo: Combination } | { ok: false; problem: ChoiceProblem } {
  const chosen: HeldCoupon[] = [];
  for (const id of chosenIds) {
    const c = held.find((h) => h.voucherId === id);
    if (!c) return { ok: false, problem: { voucherId: id, reason: "unknown", message: "Not a coupon you hold" } };
    const check = checkCoupon(c, line, ctx);
    if (!check.ok) return { ok: false, problem: { voucherId: id, reason: check.reason, message: check.message, rule: check.rule } };
    chosen.push(c);
  }
  for (let i = 0; i < chosen.length; i++) {
    for (let j = i + 1; j < chosen.length; j++) {
      if (!combinable(chosen[i]!, chosen[j]!)) {
        return { ok: false, problem: { voucherId: chosen[j]!.voucherId, reason: "not_combinable", message: "这些优惠券不能同时使用 / These coupons cannot be combined" } };
      }
    }
  }
  const combo = applyCombination(chosen, line);
  if (!withinBudgets(combo, ctx.budgetCentsLeft)) {
    return { ok: false, problem: { voucherId: chosenIds[0]!, reason: "budget", message: "优惠券活动预算已用完 / This coupon's budget is spent" } };
  }
  return { ok: true, combo };
}
