import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * f1: view → claim → order → paid → redeemed (level 5)     f2: view → draw → order → paid (4)
 * f3: view → claim (2)      f4: view (1)      f5: claim without a view (0)      f7: order + paid, no view (0)
 * f6: view 09-07, claim 09-20: outside the 7-day window (1)      f8: the c1 widget seen on a brand's page → draw (2)
 * Steps: view 6, claim/draw 4, order 2, paid 2, redeemed 1.
 * Campaign c1: f1's view and claim are c1, its order is c1's (a flash-sale win's) and its voucher c1's (level 5); f2's
 * view is c1 but its draw is c2 (level 1); f8 (2) → 3, 2, 1, 1, 1 (funnel-campaign.test.ts: orders of no campaign).
 */
const c1 = { campaignId: "c1" };
const fixture = [
  ev("page_view", "f1", at("09-07", 10), c1),
  ev("claim_succeeded", "f1", at("09-07", 11), c1),
  ev("order_created", "f1", at("09-07", 12), { ...c1, orderId: "o1" }),
  ev("order_paid", "f1", at("09-07", 12, 1), { ...c1, orderId: "o1", amountCents: 990 }),
  ev("voucher_redeemed", "f1", at("09-08"), { ...c1, voucherId: "v1" }),
  ev("product_viewed", "f2", at("09-07"), c1),
  ev("draw_made", "f2", at("09-07", 11), { campaignId: "c2" }),
  ev("order_created", "f2", at("09-09"), { orderId: "o2" }),
  ev("order_paid", "f2", at("09-09", 11), { orderId: "o2", amountCents: 990 }),
  ev("page_view", "f3", at("09-07")),
  ev("claim_succeeded", "f3", at("09-07", 10, 5)),
  ev("page_view", "f4", at("09-07")),
  ev("claim_succeeded", "f5", at("09-07")),
  ev("page_view", "f6", at("09-07")),
  ev("claim_succeeded", "f6", at("09-20")),
  ev("order_created", "f7", at("09-07"), { orderId: "o7" }),
  ev("order_paid", "f7", at("09-07", 11), { orderId: "o7", amountCents: 100 }),
  ev("widget_impression", "f8", at("09-07", 10), c1),
  ev("draw_made", "f8", at("09-07", 10, 30), c1),
];

const wh = useWarehouse(fixture);

describe("funnel view → claim/draw → order → paid → redeemed", () => {
  it("counts users reaching each step in order within the window, with per-step conversion", async () => {
    expect(await wh.query("funnel")).toEqual([
      { step: "view", users: 6, fromPrevious: 1, fromFirst: 1 },
      { step: "claim_or_draw", users: 4, fromPrevious: 4 / 6, fromFirst: 4 / 6 },
      { step: "order", users: 2, fromPrevious: 0.5, fromFirst: 2 / 6 },
      { step: "paid", users: 2, fromPrevious: 1, fromFirst: 2 / 6 },
      { step: "redeemed", users: 1, fromPrevious: 0.5, fromFirst: 1 / 6 },
    ]);
  });

  it("a wider window lets f6's late claim count", async () => {
    const rows = await wh.query("funnel", { windowHours: 24 * 30 });
    expect(rows.map((r) => r.users)).toEqual([6, 5, 2, 2, 1]);
  });

  it("per campaign: the view and the claim/draw must belong to it", async () => {
    const rows = await wh.query("funnel", { campaignId: "c1" });
    expect(rows.map((r) => r.users)).toEqual([3, 2, 1, 1, 1]);
  });
});
