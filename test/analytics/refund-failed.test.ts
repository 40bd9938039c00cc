import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * A refund recorded as made that the gateway then refused (order_refund_failed, worker/services/refund-reversal.ts)
 * is money that never went back: LTV, ROI and top products count it no more.
 * r1 signs up 09-07 (acquired by cR) and pays o1 1000 and o2 2000 on 09-08 (campaign cR, product pR).
 *   o1: a part refund of 400 (09-09), refused 09-10. o2: refunded whole (2000, 09-09), refused 09-10; then 500 of it
 *   refunded in part for real (09-11). o3 (1000, 09-08): 300 then the last 700 in parts, which closed it
 *   (order_refunded 1000, inParts); the 700 refused 09-10 (the order reopened) → 300 refunded.
 *   → net 1000 + 2000 − 500 + 1000 − 300 = 3200.
 */
const cR = { campaignId: "cR", productId: "pR" };
const fixture = [
  ev("user_signed_up", "r1", at("09-07"), { acquisitionCampaignId: "cR" }),
  ev("order_paid", "r1", at("09-08"), { ...cR, orderId: "o1", amountCents: 1000 }),
  ev("order_paid", "r1", at("09-08", 11), { ...cR, orderId: "o2", amountCents: 2000 }),
  ev("order_partially_refunded", "r1", at("09-09"), { ...cR, orderId: "o1", refundId: "rf_a", amountCents: 400, units: 1 }),
  ev("order_refund_failed", "r1", at("09-10"), { ...cR, orderId: "o1", refundId: "rf_a", amountCents: 400, restoredUnits: 1, expiredUnits: 0, reopened: false, inParts: true }),
  ev("order_refunded", "r1", at("09-09", 11), { ...cR, orderId: "o2", amountCents: 2000 }),
  ev("order_refund_failed", "r1", at("09-10", 11), { ...cR, orderId: "o2", refundId: "rfo_o2", amountCents: 2000, restoredUnits: 1, expiredUnits: 0, reopened: true, inParts: false }),
  ev("order_partially_refunded", "r1", at("09-11"), { ...cR, orderId: "o2", refundId: "rf_b", amountCents: 500, units: 0 }),
  ev("order_paid", "r1", at("09-08", 12), { ...cR, orderId: "o3", amountCents: 1000 }),
  ev("order_partially_refunded", "r1", at("09-09", 12), { ...cR, orderId: "o3", refundId: "rf_c", amountCents: 300, units: 0 }),
  ev("order_partially_refunded", "r1", at("09-09", 13), { ...cR, orderId: "o3", refundId: "rf_d", amountCents: 700, units: 1 }),
  ev("order_refunded", "r1", at("09-09", 13), { ...cR, orderId: "o3", amountCents: 1000, inParts: true }),
  ev("order_refund_failed", "r1", at("09-10", 13), { ...cR, orderId: "o3", refundId: "rf_d", amountCents: 700, restoredUnits: 1, expiredUnits: 0, reopened: true, inParts: true }),
];

const wh = useWarehouse(fixture);

describe("a refund the gateway refused after it was recorded", () => {
  it("is not a refund in LTV", async () => {
    expect(await wh.query("ltv")).toEqual([{ cohort: "2026-09-07", users: 1, ltv7Cents: 3200, ltv30Cents: 3200, ltv90Cents: 3200 }]);
  });

  it("is not a refund in ROI or top products", async () => {
    expect((await wh.query("roi"))[0]).toMatchObject({ campaignId: "cR", revenueCents: 3200, paidOrders: 3 });
    expect((await wh.query("top_products"))[0]).toMatchObject({ productId: "pR", revenueCents: 4000, refundedCents: 800, netRevenueCents: 3200 });
  });
});
