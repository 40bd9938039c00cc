import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * r1 issues v1..v4 in range and v6 in August. v1 redeemed (event has the campaign), v2 redeemed (event without
 *   campaign: attributed via its voucher), v3 fails once then succeeds, v4 untouched, v6 (old) redeemed in range.
 *   → issued 4, redeemed 3 (v1, v2, v3); attempts in range: 4 successes (v1, v2, v3, v6), 1 failure.
 * r2 issues v5, which fails twice → issued 1, redeemed 0, 0 successes, 2 failures.
 * An unknown voucher fails once → campaign "" with 1 failure.
 * r1 also delivers a card key and a direct recharge: nobody redeems those at a store, so they are not "issued" here.
 * r1 issues v7 and v8 too, both used online at checkout (coupon_applied); v8's order is then cancelled and the coupon
 *   given back (coupon_returned): v7 is redeemed (as the export's vouchers say), v8 is not; neither is a store attempt.
 *   → r1: issued 6, redeemed 4 (v1, v2, v3, v7), still 4 successes and 1 failure.
 */
const r1 = (voucherId: string) => ({ voucherId, campaignId: "r1" });
const fixture = [
  ...["v1", "v2", "v3", "v4"].map((v, i) => ev("voucher_issued", "u", at("09-07"), i ? r1(v) : { ...r1(v), kind: "coupon" })),
  ev("voucher_issued", "u", at("08-01"), r1("v6")),
  ev("voucher_issued", "u", at("09-07"), { ...r1("k1"), kind: "card_key" }),
  ev("voucher_issued", "u", at("09-07"), { ...r1("k2"), kind: "direct_recharge" }),
  ev("voucher_issued", "u", at("09-07"), { voucherId: "v5", campaignId: "r2" }),
  ev("voucher_issued", "u", at("09-07"), { ...r1("v7"), kind: "coupon" }),
  ev("voucher_issued", "u", at("09-07"), { ...r1("v8"), kind: "coupon" }),
  ev("coupon_applied", "u", at("09-08"), { orderId: "o7", productId: "p1", voucherId: "v7", couponProductId: "c1", couponKind: "threshold", discountCents: 300 }),
  ev("coupon_applied", "u", at("09-08"), { orderId: "o8", productId: "p1", voucherId: "v8", couponProductId: "c1", couponKind: "threshold", discountCents: 300 }),
  ev("coupon_returned", "u", at("09-09"), { orderId: "o8", productId: "p1", voucherId: "v8", couponProductId: "c1", discountCents: 300, reason: "cancelled" }),
  ev("voucher_redeemed", "u", at("09-08"), { ...r1("v1"), storeId: "s1" }),
  ev("voucher_redeemed", "u", at("09-09"), { voucherId: "v2", storeId: "s1" }),
  ev("voucher_redeem_failed", "u", at("09-09"), { voucherId: "v3", reason: "wrong_store" }),
  ev("voucher_redeemed", "u", at("09-10"), { voucherId: "v3" }),
  ev("voucher_redeemed", "u", at("09-08"), { voucherId: "v6" }),
  ev("voucher_redeem_failed", "u", at("09-08"), { voucherId: "v5", reason: "expired" }),
  ev("voucher_redeem_failed", "u", at("09-09"), { voucherId: "v5", reason: "expired" }),
  ev("voucher_redeem_failed", "u", at("09-09"), { voucherId: "vx", reason: "unknown" }),
  // Other people of the tenant (no vouchers): enough of them that one-person slices split the vouchers.
  ...Array.from({ length: 12 }, (_, i) => ev("user_signed_up", `w${i}`, at("09-07"))),
];

const wh = useWarehouse(fixture);

describe("redemption rate and redemption success rate", () => {
  it("per campaign", async () => {
    expect(await wh.query("redemption")).toEqual([
      { campaignId: "r1", issued: 6, redeemed: 4, succeeded: 4, failed: 1, redemptionRate: 4 / 6, successRate: 0.8 },
      { campaignId: "r2", issued: 1, redeemed: 0, succeeded: 0, failed: 2, redemptionRate: 0, successRate: 0 },
      { campaignId: "", issued: 0, redeemed: 0, succeeded: 0, failed: 1, redemptionRate: null, successRate: 0 },
    ]);
  });

  it("filters one campaign", async () => {
    expect((await wh.query("redemption", { campaignId: "r2" })).map((r) => r.campaignId)).toEqual(["r2"]);
  });

  it("gives the same rows read in slices of the voucher keys as in one pass", async () => {
    const cases = [{}, { campaignId: "r1" }, { campaignId: "r2" }, { from: "2026-09-08", to: "2026-09-09T12:00:00Z" }];
    const { whole, sliced, queries } = await wh.slicedAndWhole("redemption", cases);
    expect(sliced).toEqual(whole);
    expect(whole[0]).toHaveLength(3);
    expect(queries).toBeGreaterThanOrEqual(cases.length * 13); // 13 people → 13 slices
  });
});
