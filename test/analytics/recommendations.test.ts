import { describe, expect, it } from "vitest";
import { computeRecommendations } from "../../analytics/recommendations/co-purchase";
import { RecommendationsRequest } from "../../schema/recommendations";
import { at, ev, TENANT, useWarehouse } from "./metric-harness";

/*
 * Paid: u1 {p1,p2,p3}, u2 {p1,p2}, u3 {p1,p3}, u4 {p2,p4}, u6 {p4}; u5 only viewed p1. 5 paying buyers;
 * buyers of p1 3, p2 3, p3 2, p4 2. u2 paid p1 twice (one buyer, counted once).
 * Also bought, ranked by buyers in common, then lift = common·5 / (nA·nB), then id:
 *   p1: p3 (2, 10/6) before p2 (2, 10/9);  p2: p1 (2), then p3 and p4 (1 each, lift 5/6: by id);
 *   p3: p1 (2), p2 (1);  p4: p2 (1).
 * For you (bought weighs 2, viewed 1; Σ weight · common; owned excluded; topped up with top p1,p2,p3,p4 at 0):
 *   u5 viewed p1 → p2 2, p3 2, then top-up p1;  u4 bought p2,p4 → p1 4, p3 2 (p2, p4 owned; nothing left to top up);
 *   u6 bought p4 → p2 2, then p1, p3;  u1 owns p1–p3 → p4 2 only.
 */
let n = 0;
const paid = (user: string, product: string, day = "09-08") =>
  ev("order_paid", user, at(day, 9 + (n % 10)), { productId: product, orderId: `o${++n}`, amountCents: 1000 });
const fixture = [
  paid("u1", "p1"), paid("u1", "p2"), paid("u1", "p3"),
  paid("u2", "p1"), paid("u2", "p2"), paid("u2", "p1", "09-09"),
  paid("u3", "p1"), paid("u3", "p3"),
  paid("u4", "p2"), paid("u4", "p4"),
  paid("u6", "p4"),
  ev("product_viewed", "u5", at("09-10"), { productId: "p1" }),
  ev("product_viewed", "u4", at("09-10"), { productId: "p2" }),
];

const wh = useWarehouse(fixture);
const run = (over: Partial<RecommendationsRequest> = {}, tenantId = TENANT) =>
  computeRecommendations(wh.client(), RecommendationsRequest.parse({ tenantId, days: 730, limit: 3, ...over }));

describe("recommendations from co-purchases", () => {
  it("ranks also-bought by buyers in common, then lift, excluding the product itself", async () => {
    const { alsoBought } = await run();
    const ids = Object.fromEntries(alsoBought.map((a) => [a.productId, a.items.map((i) => i.productId)]));
    expect(ids).toEqual({ p1: ["p3", "p2"], p2: ["p1", "p3", "p4"], p3: ["p1", "p2"], p4: ["p2"] });
    const p1 = alsoBought.find((a) => a.productId === "p1")!.items;
    expect(p1[0]).toMatchObject({ buyers: 2 });
    expect(p1[0]!.lift).toBeCloseTo(10 / 6, 9);
    expect(p1[1]!.lift).toBeCloseTo(10 / 9, 9);
    expect(alsoBought.find((a) => a.productId === "p2")!.items[2]!.lift).toBeCloseTo(5 / 6, 9);
  });

  it("scores for-you from what each buyer bought or viewed, without what they own, topped up with top products", async () => {
    const { forYou, top } = await run();
    expect(top).toEqual([{ productId: "p1", score: 3 }, { productId: "p2", score: 3 }, { productId: "p3", score: 2 }, { productId: "p4", score: 2 }]);
    const byUser = Object.fromEntries(forYou.map((f) => [f.userId, f.items]));
    expect(byUser.u5).toEqual([{ productId: "p2", score: 2 }, { productId: "p3", score: 2 }, { productId: "p1", score: 0 }]);
    expect(byUser.u4).toEqual([{ productId: "p1", score: 4 }, { productId: "p3", score: 2 }]);
    expect(byUser.u6).toEqual([{ productId: "p2", score: 2 }, { productId: "p1", score: 0 }, { productId: "p3", score: 0 }]);
    expect(byUser.u1).toEqual([{ productId: "p4", score: 2 }]);
    expect(Object.keys(byUser).sort()).toEqual(["u1", "u2", "u3", "u4", "u5", "u6"]);
  });

  it("limits lists and users, and reads one tenant only", async () => {
    const small = await run({ limit: 1, maxUsers: 2 });
    expect(small.alsoBought.find((a) => a.productId === "p2")!.items.map((i) => i.productId)).toEqual(["p1"]);
    // The two most recently active: u4 and u5 (views on 09-10).
    expect(small.forYou.map((f) => f.userId).sort()).toEqual(["u4", "u5"]);
    const other = await run({}, "tB");
    expect(other.forYou.every((f) => f.userId.startsWith("x-"))).toBe(true);
    expect(other.top).toEqual((await run()).top);
    expect((await run({}, "nobody")).alsoBought).toEqual([]);
  });
});
