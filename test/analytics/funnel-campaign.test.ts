import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Per campaign, order and paid are the campaign's own orders and the last step is `used` (funnel.ts).
 * Flash sale c1:
 *   k1: view → claim c1, then buys something else in the shop (o10: no campaign, no coupon)          → 2 (was 4)
 *   k2: view → claim c1 → its win's order o11 (c1) → paid; later redeems v99, a voucher of no campaign   → 4 (was 5)
 *   → view 2, claim 2, order 1, paid 1, used 0 (was 2, 2, 2, 2, 1).
 * Coupon claim c2 (its coupons v21–v23):
 *   g1: view → claim → o21 applies v21 → paid: the coupon used on a paid order                          → 5 (was 4)
 *   g2: view → claim → v22 redeemed at a store, no order (the steps are in order: no order, no further)   → 2
 *   g3: view → claim → o23 applies v23, never paid                                                       → 3
 *   g5: view                                                                                             → 1
 *   → view 4, claim 3, order 2, paid 1, used 1 (was 4, 3, 2, 1, 0).
 * Flash sale c3, whose vouchers are redeemed at a store:
 *   h1: view → claim → its win's order o31 → paid → v31 redeemed, then the store undid it (撤销核销)      → 4
 *   h2: the same, not undone                                                                              → 5
 *   → view 2, claim 2, order 2, paid 2, used 1.
 * Overall (no campaign): every order counts, the last step is any store redemption not undone (k2's, h2's; not h1's).
 */
const c1 = { campaignId: "c1" };
const c2 = { campaignId: "c2" };
const applied = (orderId: string, voucherId: string) => ({ orderId, productId: "p1", voucherId, couponProductId: "cp", couponKind: "threshold", discountCents: 500 });
const fixture = [
  ev("page_view", "k1", at("09-07", 10), c1),
  ev("claim_succeeded", "k1", at("09-07", 10, 1), c1),
  ev("order_created", "k1", at("09-07", 11), { orderId: "o10" }),
  ev("order_paid", "k1", at("09-07", 11, 1), { orderId: "o10", amountCents: 500 }),
  ev("product_viewed", "k2", at("09-07", 10), { ...c1, productId: "p1" }),
  ev("claim_succeeded", "k2", at("09-07", 10, 1), c1),
  ev("order_created", "k2", at("09-07", 10, 2), { ...c1, orderId: "o11" }),
  ev("order_paid", "k2", at("09-07", 10, 3), { ...c1, orderId: "o11", amountCents: 990 }),
  ev("voucher_redeemed", "k2", at("09-08"), { voucherId: "v99" }),

  ev("page_view", "g1", at("09-07", 10), c2),
  ev("claim_succeeded", "g1", at("09-07", 10, 1), c2),
  ev("voucher_issued", "g1", at("09-07", 10, 1), { ...c2, voucherId: "v21" }),
  ev("order_created", "g1", at("09-08", 9), { orderId: "o21" }),
  ev("coupon_applied", "g1", at("09-08", 9), applied("o21", "v21")),
  ev("order_paid", "g1", at("09-08", 9, 2), { orderId: "o21", amountCents: 1500 }),
  ev("page_view", "g2", at("09-07", 10), c2),
  ev("claim_succeeded", "g2", at("09-07", 10, 1), c2),
  ev("voucher_issued", "g2", at("09-07", 10, 1), { ...c2, voucherId: "v22" }),
  ev("voucher_redeemed", "g2", at("09-07", 12), { ...c2, voucherId: "v22" }),
  ev("page_view", "g3", at("09-07", 10), c2),
  ev("claim_succeeded", "g3", at("09-07", 10, 1), c2),
  ev("voucher_issued", "g3", at("09-07", 10, 1), { ...c2, voucherId: "v23" }),
  ev("order_created", "g3", at("09-07", 13), { orderId: "o23" }),
  ev("coupon_applied", "g3", at("09-07", 13), applied("o23", "v23")),
  ev("page_view", "g5", at("09-07", 10), c2),

  ...["h1", "h2"].flatMap((h) => [
    ev("page_view", h, at("09-07", 10), { campaignId: "c3" }),
    ev("claim_succeeded", h, at("09-07", 10, 1), { campaignId: "c3" }),
    ev("voucher_issued", h, at("09-07", 10, 2), { campaignId: "c3", voucherId: `v31${h}` }),
    ev("order_created", h, at("09-07", 10, 2), { campaignId: "c3", orderId: `o31${h}` }),
    ev("order_paid", h, at("09-07", 10, 3), { campaignId: "c3", orderId: `o31${h}`, amountCents: 990 }),
    ev("voucher_redeemed", h, at("09-07", 12), { campaignId: "c3", voucherId: `v31${h}`, redemptionId: `rd_${h}` }),
  ]),
  ev("voucher_redemption_reversed", "h1", at("09-07", 12, 5), { campaignId: "c3", voucherId: "v31h1", redemptionId: "rd_h1", reason: "扫错券" }),
];

const wh = useWarehouse(fixture);
const users = (rows: { users: number }[]) => rows.map((r) => r.users);

describe("per-campaign funnel: the campaign's own orders, and its vouchers used", () => {
  it("a flash sale counts its win's order and payment, not a later shop order; a voucher of no campaign is not its use", async () => {
    const rows = await wh.query("funnel", { campaignId: "c1" });
    expect(rows.map((r) => r.step)).toEqual(["view", "claim_or_draw", "order", "paid", "used"]);
    expect(users(rows)).toEqual([2, 2, 1, 1, 0]);
  });

  it("a coupon claim reaches `used` when its coupon is applied on a paid order", async () => {
    expect(users(await wh.query("funnel", { campaignId: "c2" }))).toEqual([4, 3, 2, 1, 1]);
  });

  it("a redemption the store undid is not a use of the campaign's voucher", async () => {
    expect(users(await wh.query("funnel", { campaignId: "c3" }))).toEqual([2, 2, 2, 2, 1]);
  });

  it("overall, any later order and any store redemption count, and the last step is `redeemed`", async () => {
    const rows = await wh.query("funnel");
    expect(rows.map((r) => r.step)).toEqual(["view", "claim_or_draw", "order", "paid", "redeemed"]);
    // k1, k2, h1, h2 → order, paid; g1 → order, paid; g3 → order. Redeemed: k2, h2 (after paying); not h1 (the store
    // undid it), not g2 (no order first).
    expect(users(rows)).toEqual([8, 7, 6, 5, 2]);
  });

  it("read in one-person slices, the answers are the same", async () => {
    const cases = [{ campaignId: "c1" }, { campaignId: "c2" }, { campaignId: "c3" }, {}];
    const { whole, sliced } = await wh.slicedAndWhole("funnel", cases);
    expect(sliced).toEqual(whole);
  });
});
