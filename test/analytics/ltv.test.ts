import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Cohort 2026-09-07: a1 (09-07 10:00, acquired by cX), a2 (09-07 12:00, never pays).
 *   a1 pays 1000 on 09-08 (day 1), 2000 on 09-20 (day 13), is refunded 500 on 09-21 (day 14),
 *   pays 4000 on 10-20 (day 43) and 8000 on 12-10 (day 94, outside 90).
 *   → 7 days: 1000; 30 days: 1000 + 2000 − 500 = 2500; 90 days: 2500 + 4000 = 6500; per user /2.
 * Cohort 2026-09-14: a3 signs up 09-16 10:00 and pays 300 at 11:00 the same day; pays 1000 on 09-17 and gets 200
 *   back in part on 09-18, the other 800 on 10-30 (day 44) with the order's whole 1000 refunded (counted once)
 *   → 7 and 30 days: 300 + 1000 − 200 = 1100; 90 days: 300.
 * Attribution: a2 came from wechat; a3 through a1's share link, inside the brand's widget; a1 and a2 are organic.
 */
const fixture = [
  ev("user_signed_up", "a1", at("09-07"), { acquisitionCampaignId: "cX" }),
  ev("user_signed_up", "a2", at("09-07", 12), { utmSource: "wechat" }),
  ev("user_signed_up", "a3", at("09-16"), { shareLink: "sh1", origin: "https://brand.example" }, "a1"),
  ev("order_paid", "a1", at("09-08"), { orderId: "o1", amountCents: 1000 }),
  ev("order_paid", "a1", at("09-20"), { orderId: "o2", amountCents: 2000 }),
  ev("order_refunded", "a1", at("09-21"), { orderId: "o2", amountCents: 500 }),
  ev("order_paid", "a1", at("10-20"), { orderId: "o3", amountCents: 4000 }),
  ev("order_paid", "a1", at("12-10"), { orderId: "o4", amountCents: 8000 }),
  ev("order_paid", "a3", at("09-16", 11), { orderId: "o5", amountCents: 300 }),
  ev("order_paid", "a3", at("09-17"), { orderId: "o6", amountCents: 1000 }),
  ev("order_partially_refunded", "a3", at("09-18"), { orderId: "o6", refundId: "rf1", amountCents: 200, units: 0 }),
  ev("order_partially_refunded", "a3", at("10-30"), { orderId: "o6", refundId: "rf2", amountCents: 800, units: 1 }),
  ev("order_refunded", "a3", at("10-30"), { orderId: "o6", amountCents: 1000, inParts: true }),
  ev("page_view", "a2", at("09-08")),
];

const wh = useWarehouse(fixture);

describe("LTV by sign-up cohort", () => {
  it("is cumulative net revenue per cohort user at 7, 30 and 90 days", async () => {
    expect(await wh.query("ltv")).toEqual([
      { cohort: "2026-09-07", users: 2, ltv7Cents: 500, ltv30Cents: 1250, ltv90Cents: 3250 },
      { cohort: "2026-09-14", users: 1, ltv7Cents: 1100, ltv30Cents: 1100, ltv90Cents: 300 },
    ]);
  });

  it("filters by acquisition campaign", async () => {
    expect(await wh.query("ltv", { acquisitionCampaignId: "cX" })).toEqual([
      { cohort: "2026-09-07", users: 1, ltv7Cents: 1000, ltv30Cents: 2500, ltv90Cents: 6500 },
    ]);
  });

  it("filters by attribution: channel (UTM source), share vs organic, embedding origin", async () => {
    expect(await wh.query("ltv", { channel: "wechat" })).toEqual([{ cohort: "2026-09-07", users: 1, ltv7Cents: 0, ltv30Cents: 0, ltv90Cents: 0 }]);
    const a3 = [{ cohort: "2026-09-14", users: 1, ltv7Cents: 1100, ltv30Cents: 1100, ltv90Cents: 300 }];
    expect(await wh.query("ltv", { source: "share" })).toEqual(a3);
    expect(await wh.query("ltv", { origin: "https://brand.example" })).toEqual(a3);
    expect(await wh.query("ltv", { source: "organic" })).toEqual([{ cohort: "2026-09-07", users: 2, ltv7Cents: 500, ltv30Cents: 1250, ltv90Cents: 3250 }]);
    expect(await wh.query("ltv", { source: "organic", channel: "wechat" })).toEqual([{ cohort: "2026-09-07", users: 1, ltv7Cents: 0, ltv30Cents: 0, ltv90Cents: 0 }]);
  });

  it("gives the same rows from one-person slices of the user keys as from one pass", async () => {
    const cases = [{}, { acquisitionCampaignId: "cX" }, { source: "share" }, { source: "organic" }, { channel: "wechat" }, { segment: "members" }, { segment: "non_members" }];
    const { whole, sliced, queries } = await wh.slicedAndWhole("ltv", cases);
    expect(sliced).toEqual(whole);
    expect(whole[0]).toHaveLength(2);
    // one query per slice: the tenant's three users → at least 3 slices each
    expect(queries).toBeGreaterThanOrEqual(cases.length * 3);
  });

  it("is empty for a tenant without data", async () => {
    expect(await wh.query("ltv", {}, "nobody")).toEqual([]);
  });
});
