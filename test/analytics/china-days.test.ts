import { describe, expect, it } from "vitest";
import { elapsed, observedUntil } from "../../analytics/metrics/cohort";
import { ev, useWarehouse } from "./metric-harness";

/** An instant given in China time (Asia/Shanghai, UTC+8): `cn("09-14", 7)` = 2026-09-14 07:00 China = 09-13 23:00Z. */
const cn = (monthDay: string, hour: number, minute = 0) =>
  new Date(`2026-${monthDay}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00+08:00`);

/*
 * Cohorts, their days and weeks are China days (Mondays 00:00 China time). 2026-09-14 is a Monday. Every instant below
 * is in China time; the UTC day is given where it differs from the China one.
 *   uA: signs up Mon 09-14 07:00 (UTC: Sun 09-13) → cohort 09-14 (UTC days: 09-07). Active Tue 09-15 23:30 = day 1
 *       (UTC: day 2), Sun 09-20 23:30 = day 6, still week 0 (UTC: day 7, week 1); pays 30 on Sun 09-20 23:30 (within
 *       7 days either way).
 *   uB: signs up Tue 09-15 10:00, joins the membership Wed 09-16 07:00 (UTC: Tue 09-15, its sign-up day): after its
 *       cohort day, so a non-member (UTC days: a member). The join is activity: day 1 (UTC: day 0).
 *   uC: signs up Sun 09-20 23:30 → cohort 09-14 (UTC too). Active Mon 09-21 07:00 (UTC: Sun 09-20, its sign-up day) =
 *       day 1 (UTC: day 0). Joins the membership Sun 09-20 23:45: a member.
 *   uD: signs up Sun 09-13 22:00 → cohort 09-07 (UTC too). Active Sun 09-20 22:00 = day 7.
 *   uE: signs up Tue 09-15 10:00. Active Thu 09-17 00:30 (UTC: Wed 09-16) = day 2, not day 1 (UTC: day 1).
 * So, China days: cohort 09-07 = {uD}, D7 1; cohort 09-14 = {uA, uB, uC, uE}, D1 = uA, uB, uC.
 * (UTC days gave: 09-07 = {uA, uD}, D1 0, D7 1 (uD); 09-14 = {uB, uC, uE}, D1 = uE.)
 */
const fixture = [
  ev("user_signed_up", "uA", cn("09-14", 7)),
  ev("page_view", "uA", cn("09-15", 23, 30)),
  ev("order_paid", "uA", cn("09-20", 23, 30), { orderId: "oA", amountCents: 3000 }),
  ev("user_signed_up", "uB", cn("09-15", 10)),
  ev("member_joined", "uB", cn("09-16", 7), { memberId: "mB", tierId: "t1", via: "phone" }),
  ev("user_signed_up", "uC", cn("09-20", 23, 30)),
  ev("member_joined", "uC", cn("09-20", 23, 45), { memberId: "mC", tierId: "t1", via: "phone" }),
  ev("page_view", "uC", cn("09-21", 7)),
  ev("user_signed_up", "uD", cn("09-13", 22)),
  ev("page_view", "uD", cn("09-20", 22)),
  ev("user_signed_up", "uE", cn("09-15", 10)),
  ev("page_view", "uE", cn("09-17", 0, 30)),
];

const wh = useWarehouse(fixture);
const range = { from: "2026-09-01T00:00:00+08:00", to: "2026-10-01T00:00:00+08:00" };

describe("cohorts are China days (Asia/Shanghai)", () => {
  it("retention: a sign-up at Monday 07:00 China time is in that Monday's cohort; day N counts China days", async () => {
    expect(await wh.query("retention", range)).toEqual([
      { cohort: "2026-09-07", users: 1, d1: 0, d7: 1, d30: 0, d1Rate: 0, d7Rate: 1, d30Rate: 0 },
      // D1: uA (23:30 on its day 1), uB (07:00 on its day 1), uC (07:00 the morning after a 23:30 sign-up); uE's
      // 00:30 is its day 2.
      { cohort: "2026-09-14", users: 4, d1: 3, d7: 0, d30: 0, d1Rate: 0.75, d7Rate: 0, d30Rate: 0 },
    ]);
  });

  it("retention matrix: weeks run from China Monday midnight, week k = China days 7k..7k+6", async () => {
    const rows = (await wh.query("retention_matrix", range)) as { cohort: string; users: number; retained: (number | null)[] }[];
    expect(rows.map((r) => [r.cohort, r.users, r.retained.slice(0, 2)])).toEqual([
      ["2026-09-07", 1, [1, 1]], // uD: day 7 is week 1
      ["2026-09-14", 4, [4, 0]], // uA's Sunday 23:30 is its day 6: week 0
    ]);
  });

  it("LTV: the cohort week is the China one", async () => {
    expect(await wh.query("ltv", range)).toEqual([
      { cohort: "2026-09-07", users: 1, ltv7Cents: 0, ltv30Cents: 0, ltv90Cents: 0 },
      { cohort: "2026-09-14", users: 4, ltv7Cents: 750, ltv30Cents: 750, ltv90Cents: 750 },
    ]);
  });

  it("members: joined no later than the cohort's China day (uB's join the next China morning is too late)", async () => {
    expect(await wh.query("retention", { ...range, segment: "members" })).toEqual([
      { cohort: "2026-09-14", users: 1, d1: 1, d7: 0, d30: 0, d1Rate: 1, d7Rate: 0, d30Rate: 0 },
    ]);
    expect(await wh.query("retention", { ...range, segment: "non_members" })).toEqual([
      { cohort: "2026-09-07", users: 1, d1: 0, d7: 1, d30: 0, d1Rate: 0, d7Rate: 1, d30Rate: 0 },
      { cohort: "2026-09-14", users: 3, d1: 2, d7: 0, d30: 0, d1Rate: 2 / 3, d7Rate: 0, d30Rate: 0 }, // uA, uB, uE
    ]);
  });

  it("a young cohort's day ends at China midnight", () => {
    // The last member's cohort day is 09-14 (China): its day 0 has ended at 09-15 00:00 China = 09-14 16:00Z.
    expect(elapsed("2026-09-14", 1, Date.parse("2026-09-14T16:00:00Z"))).toBe(true);
    expect(elapsed("2026-09-14", 1, Date.parse("2026-09-14T15:59:59Z"))).toBe(false);
    // The data end: the start of `to`'s China day plus the horizon.
    expect(observedUntil("2026-09-21T00:00:00+08:00", 0, Date.parse("2027-01-01"))).toBe(Date.parse("2026-09-20T16:00:00Z"));
    expect(observedUntil("2026-09-20T20:00:00Z", 1, Date.parse("2027-01-01"))).toBe(Date.parse("2026-09-21T16:00:00Z"));
  });
});
