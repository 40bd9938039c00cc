import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Lifecycle flows (issue 19) in the warehouse; range 09-01 … 10-01, monthly bucket 2026-09-01.
 *
 * Win-back (message_sent flow win_back → the person's paid order, amount > 0, within `days`):
 *   u1 messaged 09-02, paid 1000 on 09-10              → reactivated
 *   u2 messaged 09-03, a free order 09-04, paid 10-20   → not within 30 days (47 days: within 60)
 *   u3 messaged 09-05, never paid                       → not
 *   u4 messaged 09-20, paid 10-05 (after `to`)          → reactivated (15 days)
 *   u6 paid 08-30, messaged 09-10                        → not (the order came before)
 *   u5's message is a targeted one and u7's (08-25) is before `from`: neither counts.
 *   → sent 5, reactivated 2 (0.4); with days = 60: 3 (0.6).
 *
 * Reminder-to-use (message_sent flow expiry_reminder with voucherId → voucher_redeemed / coupon_applied of it
 * after the reminder, before it expired):
 *   v1 reminded 09-02, applied at checkout 09-04       → used
 *   v2 reminded 09-03, expired 09-06                   → not
 *   v3 reminded 09-05, redeemed 10-03 (after `to`)     → used
 *   v4 reminded 09-10 and again 09-11                  → one coupon, not used
 *   v6 reminded 09-12, a redemption recorded 09-01     → not (before the reminder)
 *   v5's message is a targeted one: not counted.
 *   → reminded 5, used 2 (0.4).
 */
const sent = (user: string, when: Date, flow: string, voucherId: string | null = null) =>
  ev("message_sent", user, when, { flow, trigger: `t-${user}`, channel: "sms", voucherId });
const paid = (user: string, when: Date, amountCents: number) => ev("order_paid", user, when, { orderId: `o-${user}-${when.getTime()}`, amountCents });
const fixture = [
  sent("u1", at("09-02"), "win_back"), paid("u1", at("09-10"), 1000),
  sent("u2", at("09-03"), "win_back"), paid("u2", at("09-04"), 0), paid("u2", at("10-20"), 500),
  sent("u3", at("09-05"), "win_back"),
  sent("u4", at("09-20"), "win_back"), paid("u4", at("10-05"), 800),
  paid("u6", at("08-30"), 900), sent("u6", at("09-10"), "win_back"),
  sent("u5", at("09-02"), "targeted"), paid("u5", at("09-03"), 700),
  sent("u7", at("08-25"), "win_back"), paid("u7", at("09-02"), 700),

  sent("u1", at("09-02"), "expiry_reminder", "v1"),
  ev("coupon_applied", "u1", at("09-04"), { orderId: "o1", voucherId: "v1", couponProductId: "c1", couponKind: "threshold", discountCents: 500 }),
  sent("u2", at("09-03"), "expiry_reminder", "v2"), ev("voucher_expired", "u2", at("09-06"), { voucherId: "v2" }),
  sent("u3", at("09-05"), "expiry_reminder", "v3"), ev("voucher_redeemed", "u3", at("10-03"), { voucherId: "v3" }),
  sent("u4", at("09-10"), "expiry_reminder", "v4"), sent("u4", at("09-11"), "expiry_reminder", "v4"),
  ev("voucher_redeemed", "u6", at("09-01"), { voucherId: "v6" }), sent("u6", at("09-12"), "expiry_reminder", "v6"),
  sent("u5", at("09-02"), "targeted", "v5"), ev("voucher_redeemed", "u5", at("09-03"), { voucherId: "v5" }),
];

const w = useWarehouse(fixture);

describe("lifecycle flow metrics", () => {
  it("win-back reactivation: paid within N days of the message / messages sent", async () => {
    expect(await w.query("win_back_reactivation", { bucket: "month" })).toEqual([{ bucket: "2026-09-01", sent: 5, reactivated: 2, reactivationRate: 0.4 }]);
    expect(await w.query("win_back_reactivation", { bucket: "month", days: 60 })).toEqual([{ bucket: "2026-09-01", sent: 5, reactivated: 3, reactivationRate: 0.6 }]);
    const weeks = await w.query("win_back_reactivation", { bucket: "week" });
    // Every week of the range, the quiet ones with no rate (a gap in the chart, not neighbouring bars).
    expect(weeks.map((r) => [r.bucket, r.sent, r.reactivated, r.reactivationRate])).toEqual([
      ["2026-08-31", 3, 1, 1 / 3], ["2026-09-07", 1, 0, 0], ["2026-09-14", 1, 1, 1], ["2026-09-21", 0, 0, null], ["2026-09-28", 0, 0, null],
    ]);
  });

  it("reminder-to-use conversion: reminded coupons used before they expired / reminded", async () => {
    expect(await w.query("reminder_conversion", { bucket: "month" })).toEqual([{ bucket: "2026-09-01", reminded: 5, used: 2, conversionRate: 0.4 }]);
    const weeks = await w.query("reminder_conversion", { bucket: "week" });
    expect(weeks.map((r) => [r.bucket, r.reminded, r.conversionRate === null])).toEqual([
      ["2026-08-31", 3, false], ["2026-09-07", 2, false], ["2026-09-14", 0, true], ["2026-09-21", 0, true], ["2026-09-28", 0, true],
    ]);
  });
});
