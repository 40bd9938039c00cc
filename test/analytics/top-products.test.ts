import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/** A view by a visitor with no account yet: only the page's device id. */
const anon = (type: "product_viewed", deviceId: string, when: Date, payload: { productId: string }) =>
  ({ ...ev(type, "", when, payload), actor: { userId: null, deviceId, referrerId: null } }) as unknown as ReturnType<typeof ev>;

/*
 * p1: 3 views, paid orders o1 and o2 at 1500 → revenue 3000, view→paid 2/3.
 * p2: 1 view, paid o3 at 5000 (with campaign cc) → 5000, 1.
 * p3: 4 views, nothing paid. p4 (below): 1600. Ranked by revenue: p2, p1, p4, p3.
 * view→paid is a share of the viewers (people), not paid orders per view.
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
  // p4: device d1 views twice before having an account, signs up as u9 on it and pays; device d2 only looks; u10 pays
  // without a tracked view (a flash sale). Views 3, viewers 2, one of whom paid → 1/2, paid orders 2.
  anon("product_viewed", "d1", at("09-12", 1), { productId: "p4" }),
  anon("product_viewed", "d1", at("09-12", 2), { productId: "p4" }),
  anon("product_viewed", "d2", at("09-12", 1), { productId: "p4" }),
  { ...ev("user_signed_up", "u9", at("09-12", 3)), actor: { userId: "u9", deviceId: "d1", referrerId: null } } as ReturnType<typeof ev>,
  ev("order_paid", "u9", at("09-12", 4), { productId: "p4", orderId: "o4", amountCents: 800 }),
  ev("order_paid", "u10", at("09-12", 5), { productId: "p4", orderId: "o5", amountCents: 800 }),
  // p5: o6 was paid wholly from the stored-value balance (no gateway cash, so no order_paid) and refunded whole to the
  // balance: no cash moved, so p5 is no row (not one of zeros) — as revenue_overall counts it.
  ev("order_refunded", "v2", at("09-11", 4), { productId: "p5", orderId: "o6", amountCents: 0, storedValueCents: 1200 }),
  ev("order_partially_refunded", "v2", at("09-11", 5), { productId: "p5", orderId: "o7", refundId: "r7", amountCents: 0, units: 1 }),
];

const wh = useWarehouse(fixture);

describe("top products", () => {
  it("ranks by revenue with views, viewers, the share of viewers who paid, and refunds", async () => {
    expect(await wh.query("top_products")).toEqual([
      { productId: "p2", views: 1, viewers: 1, paidOrders: 1, revenueCents: 5000, refundedCents: 2000, netRevenueCents: 3000, viewToPaid: 1 },
      { productId: "p1", views: 3, viewers: 3, paidOrders: 2, revenueCents: 3000, refundedCents: 1500, netRevenueCents: 1500, viewToPaid: 2 / 3 },
      { productId: "p4", views: 3, viewers: 2, paidOrders: 2, revenueCents: 1600, refundedCents: 0, netRevenueCents: 1600, viewToPaid: 1 / 2 },
      { productId: "p3", views: 4, viewers: 4, paidOrders: 0, revenueCents: 0, refundedCents: 0, netRevenueCents: 0, viewToPaid: 0 },
    ]);
    expect((await wh.query("top_products", { limit: 2 })).map((r) => r.productId)).toEqual(["p2", "p1"]);
  });

  it("never reads more paid viewers than viewers: a paid order without a view does not raise the share", async () => {
    for (const r of await wh.query("top_products")) if (r.viewToPaid !== null) expect(r.viewToPaid).toBeLessThanOrEqual(1);
  });

  it("per campaign counts only events carrying it", async () => {
    expect(await wh.query("top_products", { campaignId: "cc" })).toEqual([
      { productId: "p2", views: 0, viewers: 0, paidOrders: 1, revenueCents: 5000, refundedCents: 2000, netRevenueCents: 3000, viewToPaid: null },
    ]);
  });

  it("over every product at once (the GMV and 净收入 tiles), with the campaign filter", async () => {
    expect(await wh.query("revenue_overall")).toEqual([{ paidOrders: 5, revenueCents: 9600, refundedCents: 3500, netRevenueCents: 6100 }]);
    expect(await wh.query("revenue_overall", { campaignId: "cc" })).toEqual([{ paidOrders: 1, revenueCents: 5000, refundedCents: 2000, netRevenueCents: 3000 }]);
    expect(await wh.query("revenue_overall", { from: "2026-01-01", to: "2026-02-01" })).toEqual([{ paidOrders: 0, revenueCents: 0, refundedCents: 0, netRevenueCents: 0 }]);
  });

  it("counts a refund in the range it was made, for an order paid before it", async () => {
    expect(await wh.query("top_products", { from: "2026-09-11T00:00:00Z", to: "2026-09-12T00:00:00Z" })).toEqual([
      { productId: "p1", views: 0, viewers: 0, paidOrders: 0, revenueCents: 0, refundedCents: 1500, netRevenueCents: -1500, viewToPaid: null },
      { productId: "p2", views: 0, viewers: 0, paidOrders: 0, revenueCents: 0, refundedCents: 2000, netRevenueCents: -2000, viewToPaid: null },
    ]);
  });
});
