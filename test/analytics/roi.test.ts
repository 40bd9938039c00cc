import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * c1: u1 claims (prize cost 500), u2 draws (no prize, 0), u3 draws (300), u4 shares → 4 participants, cost 800;
 *     voucher_issued with cost 0 (already counted on the claim). Orders: u1 pays 2000; u2 pays 1000, refunded in two
 *     parts (400, then 600 with the order's whole 1000 refunded: counted once); u3 pays 1500 and gets 500 back in part
 *     → revenue 2000 + 1000 + 1500 − 1000 − 500 = 3000, 3 paid orders, ROI (3000 − 800) / 800 = 2.75.
 * c2: u5 claims (1000) and a voucher costs 100 → cost 1100, no revenue → ROI −1.
 *     u5 then uses v2 (c2's coupon) at checkout on o5, an order with no campaign of its own: o5 pays 2000 and gets 300
 *     back in part → c2 revenue 1700, 1 paid order, ROI (1700 − 1100) / 1100 = 6/11. o1 (c1's own price) also lists v2:
 *     it stays c1's, counted once. u6's o3 used v9, a voucher no campaign issued: it stays unattributed.
 * c3 (a flash sale, discount 200 a unit): u7 wins and lets the order lapse (order_cancelled hands the 200 back); u9
 *     wins the unit again and pays 800; u10's win is refused by fulfilment (claim_failed hands its 200 back) → 3
 *     participants; u11 wins, pays 800 and is refunded whole (order_refunded hands its 200 back with the 800) → 4
 *     participants; u12 wins, pays 800, is refunded whole, and the gateway refuses that refund later
 *     (order_refund_failed takes the 200 and the 800 back again) → 5 participants, cost 200 + 200 = 400 (not 1000),
 *     revenue 800 + 800 − 800 + 800 = 1600, 3 paid orders, ROI (1600 − 400) / 400 = 3.
 * Sign-ups in range: u1, u4 (c1), u5 (c2), u6, u7 (organic) → c1 2/5 = 0.4, c2 1/5 = 0.2. u8 (c1) signed up in August.
 */
const c1 = (extra: Record<string, string | number> = {}) => ({ campaignId: "c1", ...extra });
const fixture = [
  ev("claim_succeeded", "u1", at("09-07"), c1({ costCents: 500 })),
  ev("voucher_issued", "u1", at("09-07"), c1({ voucherId: "v1", costCents: 0 })),
  ev("draw_made", "u2", at("09-07"), c1({ costCents: 0, prize: "none" })),
  ev("draw_made", "u3", at("09-08"), c1({ costCents: 300, prize: "10元券" })),
  ev("share_sent", "u4", at("09-08"), c1()),
  ev("order_paid", "u1", at("09-09"), c1({ orderId: "o1", amountCents: 2000 })),
  ev("order_paid", "u2", at("09-09"), c1({ orderId: "o2", amountCents: 1000 })),
  ev("order_partially_refunded", "u2", at("09-10"), c1({ orderId: "o2", refundId: "rf1", amountCents: 400, units: 0 })),
  ev("order_partially_refunded", "u2", at("09-11"), c1({ orderId: "o2", refundId: "rf2", amountCents: 600, units: 1 })),
  ev("order_refunded", "u2", at("09-11"), c1({ orderId: "o2", amountCents: 1000 })),
  ev("order_paid", "u3", at("09-12"), c1({ orderId: "o4", amountCents: 1500 })),
  ev("order_partially_refunded", "u3", at("09-13"), c1({ orderId: "o4", refundId: "rf3", amountCents: 500, units: 0 })),
  ev("order_paid", "u6", at("09-10"), { orderId: "o3", amountCents: 9999 }),
  ev("claim_succeeded", "u5", at("09-11"), { campaignId: "c2", costCents: 1000 }),
  ev("voucher_issued", "u5", at("09-11"), { campaignId: "c2", voucherId: "v2", costCents: 100 }),
  ev("coupon_applied", "u5", at("09-12"), { orderId: "o5", productId: "p1", voucherId: "v2", couponProductId: "cp2", couponKind: "threshold", discountCents: 300 }),
  ev("order_paid", "u5", at("09-12"), { orderId: "o5", productId: "p1", amountCents: 2000 }),
  ev("order_partially_refunded", "u5", at("09-13"), { orderId: "o5", refundId: "rf5", amountCents: 300, units: 0 }),
  ev("coupon_applied", "u1", at("09-09"), { orderId: "o1", productId: "p1", voucherId: "v2", couponProductId: "cp2", couponKind: "threshold", discountCents: 100 }),
  ev("voucher_issued", "u6", at("09-01"), { voucherId: "v9", costCents: 0 }),
  ev("coupon_applied", "u6", at("09-10"), { orderId: "o3", productId: "p1", voucherId: "v9", couponProductId: "cp9", couponKind: "threshold", discountCents: 100 }),
  ev("claim_succeeded", "u7", at("09-14"), { campaignId: "c3", costCents: 200 }),
  ev("order_cancelled", "u7", at("09-14"), { campaignId: "c3", orderId: "o7", reason: "expired", costCents: 200 }),
  ev("claim_succeeded", "u9", at("09-15"), { campaignId: "c3", costCents: 200 }),
  ev("order_paid", "u9", at("09-15"), { campaignId: "c3", orderId: "o9", amountCents: 800 }),
  ev("claim_succeeded", "u10", at("09-15"), { campaignId: "c3", costCents: 200 }),
  ev("claim_failed", "u10", at("09-15"), { campaignId: "c3", reason: "out_of_stock", costCents: 200 }),
  ev("claim_succeeded", "u11", at("09-15"), { campaignId: "c3", costCents: 200 }),
  ev("order_paid", "u11", at("09-15"), { campaignId: "c3", orderId: "o11", amountCents: 800 }),
  ev("order_refunded", "u11", at("09-16"), { campaignId: "c3", orderId: "o11", amountCents: 800, costCents: 200 }),
  ev("claim_succeeded", "u12", at("09-15"), { campaignId: "c3", costCents: 200 }),
  ev("order_paid", "u12", at("09-15"), { campaignId: "c3", orderId: "o12", amountCents: 800 }),
  ev("order_refunded", "u12", at("09-16"), { campaignId: "c3", orderId: "o12", amountCents: 800, costCents: 200 }),
  ev("order_refund_failed", "u12", at("09-17"), {
    campaignId: "c3", orderId: "o12", refundId: "rfo_o12", amountCents: 800, restoredUnits: 1, expiredUnits: 0, reopened: true, inParts: false, costCents: 200,
  }),
  ev("user_signed_up", "u1", at("09-06"), { acquisitionCampaignId: "c1" }),
  ev("user_signed_up", "u4", at("09-08"), { acquisitionCampaignId: "c1" }),
  ev("user_signed_up", "u5", at("09-11"), { acquisitionCampaignId: "c2" }),
  ev("user_signed_up", "u6", at("09-02")),
  ev("user_signed_up", "u7", at("09-03")),
  ev("user_signed_up", "u8", at("08-03"), { acquisitionCampaignId: "c1" }),
];

const wh = useWarehouse(fixture);

describe("campaign ROI and share of new users", () => {
  it("compares prize and discount cost with attributed revenue", async () => {
    expect(await wh.query("roi")).toEqual([
      { campaignId: "c1", participants: 4, costCents: 800, revenueCents: 3000, paidOrders: 3, roi: 2.75, newUsers: 2, newUserShare: 0.4 },
      { campaignId: "c2", participants: 1, costCents: 1100, revenueCents: 1700, paidOrders: 1, roi: 6 / 11, newUsers: 1, newUserShare: 0.2 },
      { campaignId: "c3", participants: 5, costCents: 400, revenueCents: 1600, paidOrders: 3, roi: 3, newUsers: 0, newUserShare: 0 },
    ]);
  });
});
