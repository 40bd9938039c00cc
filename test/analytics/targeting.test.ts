import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Issuance I1 (segment S1, coupon C1) on 09-02: treated u1, u2, u3 (u1 recorded twice: counted once), holdout u4, u5.
 *   u1 applies C1 on o1 09-05 (−500), o1 paid 4500          → redeemed, revenue 4500
 *   u2 redeems a C1 voucher 09-10; pays o2 on 10-20 (> 30 d) → redeemed, revenue 0 in the window
 *       and applied C1 on o2b 09-01, before the issue (−100, o2b paid 1000): neither uplift nor S1
 *   u3 paid 1000 on 09-01, before the issue                  → nothing
 *   u4 (control) pays o4 2000 on 09-03                       → revenue 2000
 *   u5 (control) applies C1 got elsewhere on o5 (−300), paid 2700 → redeemed, revenue 2700
 *   → treated 3, 2 redeemed (2/3); control 2, 1 redeemed (1/2); uplift 1/6.
 *     revenue per person 4500/3 = 1500 vs 4700/2 = 2350 → −850.
 * Issuance I2 (segment S2, coupon C2) on 09-03: treated u6, no holdout; u6 applies C2 on o6 09-06 (−200), o6 paid 1800,
 *   the coupon is returned 09-07 (+200). Issue orders' vouchers: io1..io3 cost 100 each (S1), io6 50 (S2), ox 999 (not targeted).
 * Coupon ROI: S1 applied 1, discount 500, issue 300 → cost 800, 1 order, 4500 → 5.625
 *             ''  applied 2 (u5, u2 early), discount 400, cost 400, 2 orders 3700 → 9.25
 *             S2 applied 1, discount 200 − 200 = 0, issue 50 → cost 50, 1 order 1800 → 36
 */
const issued = (u: string, issuanceId: string, segmentId: string, coupon: string, day: string, holdout: boolean, orderId?: string) =>
  ev("targeted_issued", u, at(day), { issuanceId, segmentId, couponProductId: coupon, holdout, ...(orderId ? { orderId } : {}) });
const paid = (u: string, orderId: string, day: string, amountCents: number) => ev("order_paid", u, at(day, 12), { orderId, amountCents });
const applied = (u: string, orderId: string, coupon: string, day: string, discountCents: number) =>
  ev("coupon_applied", u, at(day, 11), { orderId, voucherId: `v-${orderId}`, couponProductId: coupon, couponKind: "threshold", discountCents });
const fixture = [
  issued("u1", "I1", "S1", "C1", "09-02", false, "io1"), issued("u1", "I1", "S1", "C1", "09-03", false, "io1"),
  issued("u2", "I1", "S1", "C1", "09-02", false, "io2"), issued("u3", "I1", "S1", "C1", "09-02", false, "io3"),
  issued("u4", "I1", "S1", "C1", "09-02", true), issued("u5", "I1", "S1", "C1", "09-02", true),
  issued("u6", "I2", "S2", "C2", "09-03", false, "io6"),
  ...["io1", "io2", "io3"].map((o) => ev("voucher_issued", "u", at("09-02"), { voucherId: `v-${o}`, orderId: o, productId: "C1", kind: "coupon", costCents: 100 })),
  ev("voucher_issued", "u6", at("09-03"), { voucherId: "v-io6", orderId: "io6", productId: "C2", kind: "coupon", costCents: 50 }),
  ev("voucher_issued", "u9", at("09-03"), { voucherId: "v-ox", orderId: "ox", productId: "C1", kind: "coupon", costCents: 999 }),
  applied("u1", "o1", "C1", "09-05", 500), paid("u1", "o1", "09-05", 4500),
  ev("voucher_redeemed", "u2", at("09-10"), { voucherId: "v-io2", productId: "C1" }), paid("u2", "o2", "10-20", 7000),
  applied("u2", "o2b", "C1", "09-01", 100), paid("u2", "o2b", "09-01", 1000),
  paid("u3", "o3", "09-01", 1000),
  paid("u4", "o4", "09-03", 2000),
  applied("u5", "o5", "C1", "09-04", 300), paid("u5", "o5", "09-04", 2700),
  applied("u6", "o6", "C2", "09-06", 200), paid("u6", "o6", "09-06", 1800),
  ev("coupon_returned", "u6", at("09-07"), { orderId: "o6", voucherId: "v-o6", couponProductId: "C2", discountCents: 200 }),
];

const wh = useWarehouse(fixture);

describe("targeting: uplift against the holdout", () => {
  it("per issuance, treated vs control", async () => {
    const rows = await wh.query("targeting_uplift", { to: "2026-11-01" });
    expect(rows).toEqual([
      {
        issuanceId: "I1", segmentId: "S1", couponProductId: "C1", treated: 3, control: 2, treatedRedeemed: 2, controlRedeemed: 1,
        treatedRedemptionRate: 2 / 3, controlRedemptionRate: 0.5, redemptionUplift: 2 / 3 - 0.5,
        treatedRevenuePerPersonCents: 1500, controlRevenuePerPersonCents: 2350, revenueUpliftCents: -850,
      },
      {
        issuanceId: "I2", segmentId: "S2", couponProductId: "C2", treated: 1, control: 0, treatedRedeemed: 1, controlRedeemed: 0,
        treatedRedemptionRate: 1, controlRedemptionRate: null, redemptionUplift: null,
        treatedRevenuePerPersonCents: 1800, controlRevenuePerPersonCents: null, revenueUpliftCents: null,
      },
    ]);
  });

  it("a wider window takes in the late order; one issuance filtered", async () => {
    const [i1] = await wh.query("targeting_uplift", { to: "2026-11-01", days: 90, issuanceId: "I1" });
    expect(i1).toMatchObject({ issuanceId: "I1", treatedRevenuePerPersonCents: (4500 + 7000) / 3 });
    expect(await wh.query("targeting_uplift", { issuanceId: "nope" })).toEqual([]);
  });
});

describe("targeting: coupon cost vs attributed revenue per segment", () => {
  it("per segment of the issuance", async () => {
    expect(await wh.query("coupon_roi")).toEqual([
      { segmentId: "S1", couponsApplied: 1, discountCents: 500, issueCostCents: 300, costCents: 800, orders: 1, attributedRevenueCents: 4500, revenuePerCostCent: 5.625 },
      { segmentId: "", couponsApplied: 2, discountCents: 400, issueCostCents: 0, costCents: 400, orders: 2, attributedRevenueCents: 3700, revenuePerCostCent: 9.25 },
      { segmentId: "S2", couponsApplied: 1, discountCents: 0, issueCostCents: 50, costCents: 50, orders: 1, attributedRevenueCents: 1800, revenuePerCostCent: 36 },
    ]);
  });
});
