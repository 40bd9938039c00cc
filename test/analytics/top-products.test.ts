import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * p1: 3 views, paid orders o1 and o2 at 1500 → revenue 3000, view→paid 2/3.
 * p2: 1 view, paid o3 at 5000 (with campaign cc) → 5000, 1.
 * p3: 4 views, nothing paid. Ranked by revenue: p2, p1, p3.
 * Refunds: o1 refunded in two parts (500 + 1000, then order_refunded 1500) → 1500 once; o3 partly (2000).
 */
const fixture = [
  ...[1, 2, 3].map((h) => ev("product_viewed", `v${h}`, at("09-07", h), { productId: "p1" })),
  ev("order_paid", "v1", at("09-08"), { productId: "p1", orderId: "o1", amountCents: 1500 }),
  ev("order_paid", "v2", at("09-08"), { productId: "p1", orderId: "o2", amountCents: 1500 }),
  ev("product_viewed", "v1", at("09-09"), { productId: "p2" }),
  ev("order_paid", "v1", at("09-09", 11), { productId: "p2", orderId: "o3", amountCents: 5000, campaignId: "cc" }),
  ...[1, 2, 3, 4].map((h) => ev("product_viewed", `w${h}`, at("09-10", h), { productId: "p3" })),
  ev("order_partially_refunded", "v1", at("09-11", 1), { productId: "p1", orderId: "o1", refundId: "r1", amountCents: 500, units: 1 }),
  ev("order_partially_refunded", "v1", at("09-11", 2), { productId: "p1", orderId: "o1", refundId: "r2", amountCents: 1000, units: 2 }),
  ev("order_refunded", "v1", at("09-11", 2), { productId: "p1", orderId: "o1", amountCents: 1500 }),
  ev("order_partially_refunded", "v1", at("09-11", 3), { productId: "p2", orderId: "o3", refundId: "r3", amountCents: 2000, units: 1, campaignId: "cc" }),
];

const wh = useWarehouse(fixture);

describe("top products", () => {
  it("ranks by revenue with views, view→paid and refunds", async () => {
    expect(await wh.query("top_products")).toEqual([
      { productId: "p2", views: 1, paidOrders: 1, revenueCents: 5000, refundedCents: 2000, netRevenueCents: 3000, viewToPaid: 1 },
      { productId: "p1", views: 3, paidOrders: 2, revenueCents: 3000, refundedCents: 1500, netRevenueCents: 1500, viewToPaid: 2 / 3 },
      { productId: "p3", views: 4, paidOrders: 0, revenueCents: 0, refundedCents: 0, netRevenueCents: 0, viewToPaid: 0 },
    ]);
    expect((await wh.query("top_products", { limit: 2 })).map((r) => r.productId)).toEqual(["p2", "p1"]);
  });

  it("per campaign counts only events carrying it", async () => {
    expect(await wh.query("top_products", { campaignId: "cc" })).toEqual([
      { productId: "p2", views: 0, paidOrders: 1, revenueCents: 5000, refundedCents: 2000, netRevenueCents: 3000, viewToPaid: null },
    ]);
  });

  it("over every product at once (the GMV and 净收入 tiles), with the campaign filter", async () => {
    expect(await wh.query("revenue_overall")).toEqual([{ paidOrders: 3, revenueCents: 8000, refundedCents: 3500, netRevenueCents: 4500 }]);
    expect(await wh.query("revenue_overall", { campaignId: "cc" })).toEqual([{ paidOrders: 1, revenueCents: 5000, refundedCents: 2000, netRevenueCents: 3000 }]);
    expect(await wh.query("revenue_overall", { from: "2026-01-01", to: "2026-02-01" })).toEqual([{ paidOrders: 0, revenueCents: 0, refundedCents: 0, netRevenueCents: 0 }]);
  });

  it("counts a refund in the range it was made, for an order paid before it", async () => {
    expect(await wh.query("top_products", { from: "2026-09-11T00:00:00Z" })).toEqual([
      { productId: "p1", views: 0, paidOrders: 0, revenueCents: 0, refundedCents: 1500, netRevenueCents: -1500, viewToPaid: null },
      { productId: "p2", views: 0, paidOrders: 0, revenueCents: 0, refundedCents: 2000, netRevenueCents: -2000, viewToPaid: null },
    ]);
  });
});
