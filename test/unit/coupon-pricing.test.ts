import { describe, expect, it } from "vitest";
import { CouponConfig, ProductConfig } from "../../schema/catalog";
import type { BuyerFacts } from "../../schema/eligibility";
import {
  applyCombination, bestCombination, checkCoupon, combinable, evaluateChoice, type CartLine, type CouponContext, type HeldCoupon,
} from "../../worker/domain/coupon-pricing";

const now = new Date("2026-05-20T10:00:00Z");
const facts = (f: Partial<BuyerFacts> = {}): BuyerFacts => ({
  segmentIds: new Set(), signedUpAt: "2026-05-18T00:00:00Z", paidOrders: 0, tierId: null, birthday: null, city: null, ...f,
});
const ctx = (f: Partial<BuyerFacts> = {}, budget: [string, number][] = []): CouponContext => ({ now, facts: facts(f), budgetCentsLeft: new Map(budget) });
const line = (l: Partial<CartLine> = {}): CartLine => ({ productId: "prd_a", kind: "card_key", tags: ["video"], unitPriceCents: 10_000, quantity: 1, ...l });
let n = 0;
const coupon = (cfg: object, h: Partial<HeldCoupon> = {}): HeldCoupon => ({
  voucherId: `vch_${String(++n).padStart(3, "0")}`, productId: `prd_c${n}`, title: "券", status: "issued",
  validFrom: "2026-01-01T00:00:00Z", validTo: "2026-12-31T00:00:00Z", config: CouponConfig.parse({ online: true, ...cfg }), ...h,
});

describe("coupon config", () => {
  it("old {thresholdCents, discountCents} rows keep meaning a store-only 满减", () => {
    const c = ProductConfig.parse({ coupon: { thresholdCents: 5000, discountCents: 1000 } }).coupon!;
    expect(c.kind).toBe("threshold");
    expect(c.online).toBe(false);
    expect(ProductConfig.safeParse({ coupon: { thresholdCents: 500, discountCents: 1000 } }).success).toBe(false);
  });
  it("each kind requires its own fields", () => {
    expect(CouponConfig.safeParse({ kind: "percent" }).success).toBe(false);
    expect(CouponConfig.safeParse({ kind: "fixed_price" }).success).toBe(false);
    expect(CouponConfig.safeParse({ kind: "first_order", discountCents: 0 }).success).toBe(false);
    expect(CouponConfig.safeParse({ kind: "percent", percentOff: 20, capCents: 500 }).success).toBe(true);
  });
});

describe("one coupon", () => {
  it("computes every kind's discount", () => {
    const l = line({ unitPriceCents: 10_000, quantity: 2 });
    const ok = (c: HeldCoupon) => { const r = checkCoupon(c, l, ctx()); return r.ok ? r.standaloneCents : r.reason; };
    expect(ok(coupon({ kind: "threshold", thresholdCents: 15_000, discountCents: 3000 }))).toBe(3000);
    expect(ok(coupon({ kind: "percent", percentOff: 20 }))).toBe(4000);
    expect(ok(coupon({ kind: "percent", percentOff: 20, capCents: 2500 }))).toBe(2500);
    expect(ok(coupon({ kind: "fixed_price", fixedPriceCents: 6000 }))).toBe(4000); // one item costs 60
    expect(ok(coupon({ kind: "first_order", discountCents: 1500 }))).toBe(1500);
    expect(ok(coupon({ kind: "new_member", discountCents: 800, newMemberDays: 7 }))).toBe(800);
  });
  it("says why a coupon does not apply", () => {
    const why = (c: HeldCoupon, l = line(), x = ctx()) => { const r = checkCoupon(c, l, x); return r.ok ? "ok" : r.reason; };
    expect(why(coupon({ discountCents: 100 }, { validTo: "2026-05-01T00:00:00Z" }))).toBe("expired");
    expect(why(coupon({ discountCents: 100 }, { status: "redeemed" }))).toBe("used");
    expect(why(coupon({ discountCents: 100, online: false }))).toBe("offline");
    expect(why(coupon({ discountCents: 100, scope: { tags: ["music"] } }))).toBe("scope");
    expect(why(coupon({ discountCents: 100, scope: { tags: ["video"] } }))).toBe("ok");
    expect(why(coupon({ discountCents: 100, scope: { kinds: ["direct_recharge"] } }))).toBe("scope");
    expect(why(coupon({ discountCents: 100, scope: { productIds: ["prd_a"] } }))).toBe("ok");
    expect(why(coupon({ discountCents: 100 }), line({ kind: "coupon" }))).toBe("scope");
    // An order refuses coupons on a bundle (services/orders.ts), so the quote never offers one there, whatever the scope.
    expect(why(coupon({ discountCents: 100 }), line({ kind: "bundle" }))).toBe("scope");
    expect(why(coupon({ discountCents: 100, scope: { kinds: ["bundle"] } }), line({ kind: "bundle" }))).toBe("scope");
    expect(why(coupon({ discountCents: 100, scope: { productIds: ["prd_a"] } }), line({ kind: "bundle" }))).toBe("scope");
    expect(why(coupon({ thresholdCents: 20_000, discountCents: 100 }))).toBe("threshold");
    expect(why(coupon({ kind: "first_order", discountCents: 100 }), line(), ctx({ paidOrders: 1 }))).toBe("eligibility");
    expect(why(coupon({ kind: "new_member", discountCents: 100, newMemberDays: 1 }))).toBe("eligibility");
    expect(why(coupon({ discountCents: 100, eligibility: { tierIds: ["gold"] } }))).toBe("eligibility");
    expect(why(coupon({ discountCents: 100, eligibility: { tierIds: ["gold"] } }), line(), ctx({ tierId: "gold" }))).toBe("ok");
    const b = coupon({ discountCents: 500 });
    expect(why(b, line(), ctx({}, [[b.productId, 499]]))).toBe("budget");
    expect(why(b, line(), ctx({}, [[b.productId, 500]]))).toBe("ok");
  });
  it("never goes below 0", () => {
    const l = line({ unitPriceCents: 300 });
    const c = coupon({ discountCents: 1000 });
    expect(applyCombination([c], l)).toMatchObject({ discountCents: 300, totalCents: 0 });
    const r = checkCoupon(c, l, ctx());
    expect(r.ok && r.standaloneCents).toBe(300);
  });
});

describe("stacking", () => {
  it("at most one per kind class, one group, exclusive alone", () => {
    const t1 = coupon({ discountCents: 100 }), t2 = coupon({ discountCents: 200 }), fo = coupon({ kind: "first_order", discountCents: 300 });
    const p = coupon({ kind: "percent", percentOff: 10 }), fp = coupon({ kind: "fixed_price", fixedPriceCents: 5000 });
    const ex = coupon({ kind: "percent", percentOff: 10, stacking: { exclusive: true } });
    const other = coupon({ kind: "percent", percentOff: 10, stacking: { group: "vip" } });
    expect(combinable(t1, t2)).toBe(false);
    expect(combinable(t1, fo)).toBe(false); // both amount class
    expect(combinable(t1, p)).toBe(true);
    expect(combinable(fp, p)).toBe(true);
    expect(combinable(t1, ex)).toBe(false);
    expect(combinable(t1, other)).toBe(false);
  });
  it("applies fixed price, then amount, then percent on what remains (capped)", () => {
    const fp = coupon({ kind: "fixed_price", fixedPriceCents: 8000 });
    const t = coupon({ thresholdCents: 10_000, discountCents: 2000 });
    const p = coupon({ kind: "percent", percentOff: 50, capCents: 2500 });
    const combo = applyCombination([p, t, fp], line({ unitPriceCents: 10_000, quantity: 1 }));
    // 100 → fixed 80 (−20) → 满减 −20 → 60 → 50% = 30, capped 25 → 35
    expect(combo.applied.map((a) => [a.kind, a.discountCents])).toEqual([["fixed_price", 2000], ["threshold", 2000], ["percent", 2500]]);
    expect(combo).toMatchObject({ discountCents: 6500, totalCents: 3500 });
  });
});

describe("best combination", () => {
  const l = line({ unitPriceCents: 10_000 });
  it("takes the largest total discount under the rules", () => {
    const t = coupon({ discountCents: 3000 });
    const p = coupon({ kind: "percent", percentOff: 20 });
    const ex = coupon({ kind: "percent", percentOff: 40, stacking: { exclusive: true } });
    // t + p: 30 + 20% of 70 = 44 > exclusive 40
    expect(bestCombination([t, p, ex], l).applied.map((a) => a.voucherId).sort()).toEqual([t.voucherId, p.voucherId].sort());
    const ex2 = coupon({ kind: "percent", percentOff: 50, stacking: { exclusive: true } });
    expect(bestCombination([t, p, ex, ex2], l).applied.map((a) => a.voucherId)).toEqual([ex2.voucherId]);
    expect(bestCombination([], l)).toEqual({ applied: [], discountCents: 0, totalCents: 10_000 });
  });
  it("breaks ties deterministically: fewer coupons, then soonest expiry, then id", () => {
    const a = coupon({ discountCents: 1000 }, { validTo: "2026-09-01T00:00:00Z" });
    const b = coupon({ discountCents: 1000 }, { validTo: "2026-07-01T00:00:00Z" });
    expect(bestCombination([a, b], l).applied[0]!.voucherId).toBe(b.voucherId);
    expect(bestCombination([b, a], l).applied[0]!.voucherId).toBe(b.voucherId);
    const c = coupon({ discountCents: 1000 }, { validTo: "2026-07-01T00:00:00Z" });
    expect(bestCombination([c, b], l).applied[0]!.voucherId).toBe(b.voucherId < c.voucherId ? b.voucherId : c.voucherId);
    // 100 + 0 (percent capped at 0 is not applicable anyway): one coupon beats a two-coupon set of equal value
    const fp = coupon({ kind: "fixed_price", fixedPriceCents: 9000 }), t = coupon({ discountCents: 1000 }, { validTo: "2026-06-01T00:00:00Z" });
    expect(bestCombination([fp, t], line({ unitPriceCents: 10_000 })).applied).toHaveLength(2);
  });
  it("respects a budget shared by coupons of one product", () => {
    const t = coupon({ discountCents: 3000 });
    const p = coupon({ kind: "percent", percentOff: 20 }, { productId: t.productId });
    const combo = bestCombination([t, p], l, new Map([[t.productId, 4000]]));
    expect(combo.discountCents).toBe(3000);
  });
});

describe("the buyer's own pick", () => {
  const l = line();
  it("refuses an unknown, inapplicable or uncombinable pick; applies a good one", () => {
    const t = coupon({ discountCents: 1000 }), t2 = coupon({ discountCents: 500 }), p = coupon({ kind: "percent", percentOff: 10 });
    const old = coupon({ discountCents: 100 }, { validTo: "2026-01-02T00:00:00Z" });
    expect(evaluateChoice([t], ["vch_nope"], l, ctx())).toMatchObject({ ok: false, problem: { reason: "unknown" } });
    expect(evaluateChoice([t, t2], [t.voucherId, t2.voucherId], l, ctx())).toMatchObject({ ok: false, problem: { reason: "not_combinable" } });
    expect(evaluateChoice([old], [old.voucherId], l, ctx())).toMatchObject({ ok: false, problem: { reason: "expired" } });
    expect(evaluateChoice([t, p], [t.voucherId, p.voucherId], l, ctx())).toMatchObject({ ok: true, combo: { discountCents: 1900, totalCents: 8100 } });
  });
});

describe("the provenance ledger names the order a coupon took part in", () => {
  it("coupon_applied → redemption and coupon_returned → refund, per order", async () => {
    const { ledgerSteps } = await import("../../worker/domain/voucher-ledger");
    const env = (type: string, orderId: string) => ({
      eventId: `e_${type}_${orderId}`, tenantId: "ten", type, occurredAt: "2026-05-20T10:00:00Z", actor: {}, schemaVersion: 1,
      payload: { orderId, productId: "prd_a", voucherId: "vch_1", couponProductId: "prd_c", couponKind: "threshold", discountCents: 1000 },
    }) as never;
    expect(ledgerSteps(env("coupon_applied", "ord_1"))).toEqual([
      { voucherId: "vch_1", kind: "redemption", payload: { usedOnOrderId: "ord_1", discountCents: 1000, couponKind: "threshold" }, dedupeSuffix: "ord_1" },
    ]);
    expect(ledgerSteps(env("coupon_returned", "ord_2"))[0]).toMatchObject({ kind: "refund", dedupeSuffix: "ord_2", payload: { usedOnOrderId: "ord_2" } });
  });
});
