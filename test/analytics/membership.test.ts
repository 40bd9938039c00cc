import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Membership (issue 17) in the warehouse. Members m1..m4 are users u1..u4; u5 never joins.
 *
 * Tiers (earned t0 < t1; paid card tier tp):
 *   m1 joined 08-20 (t0), up to t1 09-09, a grace notice 09-20 (no change), down to t0 09-22, up to t2 10-05 (after `to`).
 *   m2 joined 09-08 10:00 (t0); card c2 (tp) bought 09-10 valid until 09-17 10:00, lapsed 09-17 12:00; the
 *      member_tier_changed 'paid_card' the product records for it must not count twice.
 *   m3 joined 09-15 without a tier (''); m4 joined 09-16 (t0), card c4 (tp) bought 09-16, lapsed early 09-29.
 *   Week ends (from 09-01, Mondays 08-31, 09-07, …): 09-07 m1 t0 · 09-14 m1 t1, m2 tp · 09-21 m1 t1, m2 t0, m3 '', m4 tp
 *   · 09-28 m1 t0, m2 t0, m3 '', m4 tp · 10-01 m4 back to t0: '' 1, t0 3.
 *   Cards c1 (m1) and c3 (m3) grant no tier (tierId null): they change no tier count.
 *
 * Points: before `from` m1 +100, −30 → opening 70.
 *   week 08-31: m1 +50                         → 120
 *   week 09-07: m2 +200, m2 spent 80, m1 adjusted +10 → 250
 *   week 09-14: m2 reversed −100, m1 expired 20, m1 adjusted −5 → 125
 *   week 09-21: m2 reversed +80 (a spend given back) → 205;  week 09-28: nothing → 205;  m1 +999 on 10-02 is after `to`.
 *
 * Paid-card terms by due date: c1 due 09-01 → renewed 08-30 (renewed); c3 due 09-05 → lapsed 09-06; c2 due 09-17 →
 *   lapsed; c1's renewed term due 09-30 → nothing yet (pending); c4 due 10-16 is after `to`.
 *
 * Check-in streaks in September: m1 5, 6, 7 (→ 7-13; an 08-31 and a 10-01 check-in are outside), m2 1, 2, 1 (→ 2),
 *   m3 1 (→ 1), m4 29, 30 (→ 30+).
 *
 * Member vs non-member cohorts (week 2026-09-07, all signed up 09-08): u2 joins the same day (member); u3 joins 09-15
 *   (day 7: a non-member in this cohort); u5 never joins. Active day offsets: u2 0, 1, 2, 3, 7, 9, 15 · u3 0, 1, 7 ·
 *   u5 0, 1, 30. D1: all three; D7: u2, u3; D30: u5. Paid: u2 1000 (day 1), u3 500 (day 0).
 */
const m = (memberId: string, extra: Record<string, string | number | null> = {}) => ({ memberId, ...extra });
const points = (memberId: string, pts: number) => ({ memberId, points: pts, sourceKind: "order", sourceId: `s-${memberId}-${pts}` });
const card = (memberId: string, cardId: string, kind: string, tierId: string | null, validUntil?: string) => ({
  memberId, cardId, kind, tierId, ...(validUntil ? { validUntil } : {}),
});
const fixture = [
  // Tiers
  ev("member_joined", "u1", at("08-20"), m("m1", { tierId: "t0", via: "phone" })),
  ev("member_tier_changed", "u1", at("09-09"), m("m1", { fromTierId: "t0", toTierId: "t1", direction: "up" })),
  ev("member_tier_changed", "u1", at("09-20"), m("m1", { fromTierId: "t1", toTierId: "t0", direction: "grace" })),
  ev("member_tier_changed", "u1", at("09-22"), m("m1", { fromTierId: "t1", toTierId: "t0", direction: "down" })),
  ev("member_tier_changed", "u1", at("10-05"), m("m1", { fromTierId: "t0", toTierId: "t2", direction: "up" })),
  ev("member_joined", "u2", at("09-08", 10), m("m2", { tierId: "t0", via: "phone" })),
  ev("paid_card_changed", "u2", at("09-10"), card("m2", "c2", "purchased", "tp", "2026-09-17T10:00:00Z")),
  ev("member_tier_changed", "u2", at("09-10"), m("m2", { fromTierId: "t0", toTierId: "tp", direction: "paid_card" })),
  ev("paid_card_changed", "u2", at("09-17", 12), card("m2", "c2", "lapsed", "tp")),
  ev("member_joined", "u3", at("09-15"), m("m3", { tierId: null, via: "member_token" })),
  ev("member_joined", "u4", at("09-16"), m("m4", { tierId: "t0", via: "phone" })),
  ev("paid_card_changed", "u4", at("09-16", 11), card("m4", "c4", "purchased", "tp", "2026-10-16")),
  ev("paid_card_changed", "u4", at("09-29"), card("m4", "c4", "lapsed", "tp")),
  ev("paid_card_changed", "u1", at("08-01"), card("m1", "c1", "purchased", null, "2026-09-01T00:00:00Z")),
  ev("paid_card_changed", "u1", at("08-30"), card("m1", "c1", "renewed", null, "2026-09-30T00:00:00Z")),
  ev("paid_card_changed", "u3", at("08-05"), card("m3", "c3", "purchased", null, "2026-09-05")),
  ev("paid_card_changed", "u3", at("09-06"), card("m3", "c3", "lapsed", null)),
  // Points
  ev("points_earned", "u1", at("08-25"), points("m1", 100)),
  ev("points_spent", "u1", at("08-28"), points("m1", -30)),
  ev("points_earned", "u1", at("09-02"), points("m1", 50)),
  ev("points_earned", "u2", at("09-08", 11), points("m2", 200)),
  ev("points_spent", "u2", at("09-09"), points("m2", -80)),
  ev("points_adjusted", "u1", at("09-10"), { ...points("m1", 10), reason: "goodwill" }),
  ev("points_reversed", "u2", at("09-15"), points("m2", -100)),
  ev("points_expired", "u1", at("09-16"), points("m1", -20)),
  ev("points_adjusted", "u1", at("09-16", 12), points("m1", -5)),
  ev("points_reversed", "u2", at("09-23"), points("m2", 80)),
  ev("points_earned", "u1", at("10-02"), points("m1", 999)),
  ev("points_expiry_reminded", "u1", at("09-20"), m("m1", { points: 70, expiresOn: "2026-10-20", channel: "sms" })),
  // Check-ins
  ...[["08-31", 4], ["09-01", 5], ["09-02", 6], ["09-03", 7], ["10-01", 8]].map(([d, s]) => ev("member_checked_in", "u1", at(d as string), m("m1", { day: `2026-${d}`, streak: s as number }))),
  ...[["09-08", 1], ["09-09", 2], ["09-11", 1]].map(([d, s]) => ev("member_checked_in", "u2", at(d as string), m("m2", { day: `2026-${d}`, streak: s as number }))),
  ev("member_checked_in", "u3", at("09-15", 11), m("m3", { day: "2026-09-15", streak: 1 })),
  ev("member_checked_in", "u4", at("09-29"), m("m4", { day: "2026-09-29", streak: 29 })),
  ev("member_checked_in", "u4", at("09-30"), m("m4", { day: "2026-09-30", streak: 30 })),
  // Cohort users
  ev("user_signed_up", "u2", at("09-08", 9)),
  ev("user_signed_up", "u3", at("09-08", 9)),
  ev("user_signed_up", "u5", at("09-08", 9)),
  ev("order_paid", "u2", at("09-09", 11), { orderId: "o2", amountCents: 1000 }),
  ev("order_paid", "u3", at("09-08", 11), { orderId: "o3", amountCents: 500 }),
  ev("page_view", "u3", at("09-09")),
  ev("page_view", "u5", at("09-09")),
  ev("page_view", "u5", at("10-08")),
];

const wh = useWarehouse(fixture);

describe("members by tier", () => {
  it("counts each member in their tier at the end of each week: earned tier, or a valid paid card's tier", async () => {
    expect(await wh.query("members_by_tier", { bucket: "week" })).toEqual([
      { bucket: "2026-08-31", tierId: "t0", members: 1 },
      { bucket: "2026-09-07", tierId: "t1", members: 1 },
      { bucket: "2026-09-07", tierId: "tp", members: 1 },
      { bucket: "2026-09-14", tierId: "", members: 1 },
      { bucket: "2026-09-14", tierId: "t0", members: 1 },
      { bucket: "2026-09-14", tierId: "t1", members: 1 },
      { bucket: "2026-09-14", tierId: "tp", members: 1 },
      { bucket: "2026-09-21", tierId: "", members: 1 },
      { bucket: "2026-09-21", tierId: "t0", members: 2 },
      { bucket: "2026-09-21", tierId: "tp", members: 1 },
      { bucket: "2026-09-28", tierId: "", members: 1 },
      { bucket: "2026-09-28", tierId: "t0", members: 3 },
    ]);
  });

  it("per day; a card past its validUntil no longer counts even before its lapse is recorded", async () => {
    expect(await wh.query("members_by_tier", { bucket: "day", from: "2026-09-10T00:00:00+08:00", to: "2026-09-11T00:00:00+08:00" })).toEqual([
      { bucket: "2026-09-10", tierId: "t1", members: 1 },
      { bucket: "2026-09-10", tierId: "tp", members: 1 },
    ]);
    // At 09-17 11:00 c2 (valid until 10:00) has run out; its lapse comes at 12:00.
    expect(await wh.query("members_by_tier", { bucket: "day", from: "2026-09-17T00:00:00Z", to: "2026-09-17T11:00:00Z" })).toEqual([
      { bucket: "2026-09-17", tierId: "", members: 1 },
      { bucket: "2026-09-17", tierId: "t0", members: 1 },
      { bucket: "2026-09-17", tierId: "t1", members: 1 },
      { bucket: "2026-09-17", tierId: "tp", members: 1 },
    ]);
  });
});

describe("points issued, spent, expired and outstanding", () => {
  const zero = { issued: 0, spent: 0, expired: 0, reversed: 0, adjusted: 0 };
  const weeks = [
    { bucket: "2026-08-31", ...zero, issued: 50, outstanding: 120 },
    { bucket: "2026-09-07", ...zero, issued: 200, spent: 80, adjusted: 10, outstanding: 250 },
    { bucket: "2026-09-14", ...zero, expired: 20, reversed: -100, adjusted: -5, outstanding: 125 },
    { bucket: "2026-09-21", ...zero, reversed: 80, outstanding: 205 },
    { bucket: "2026-09-28", ...zero, outstanding: 205 },
  ];

  it("per week, outstanding from the opening balance, valued at 1 cent a point by default", async () => {
    expect(await wh.query("points", { bucket: "week" })).toEqual(weeks.map((w) => ({ ...w, outstandingValueCents: w.outstanding })));
  });

  it("values outstanding points at the tenant's pointValueCents and refuses a negative one", async () => {
    const rows = await wh.query("points", { bucket: "week", pointValueCents: "0.5" });
    expect(rows.map((r) => r.outstandingValueCents)).toEqual([60, 125, 63, 103, 103]);
    await expect(wh.query("points", { pointValueCents: "-1" })).rejects.toThrow(/pointValueCents/);
  });

  it("one month bucket sums the month", async () => {
    // buckets are China months: the range is China midnights (as the dashboard sends it)
    expect(await wh.query("points", { bucket: "month", from: "2026-09-01T00:00:00+08:00", to: "2026-10-01T00:00:00+08:00" })).toEqual([
      { bucket: "2026-09-01", issued: 250, spent: 80, expired: 20, reversed: -20, adjusted: 5, outstanding: 205, outstandingValueCents: 205 },
    ]);
  });
});

describe("paid-card renewal rate", () => {
  it("of the terms due in each week: renewed before lapse, lapsed, still pending", async () => {
    expect(await wh.query("paid_card_renewal", { bucket: "week" })).toEqual([
      { bucket: "2026-08-31", due: 2, renewed: 1, lapsed: 1, pending: 0, renewalRate: 0.5 },
      { bucket: "2026-09-07", due: 0, renewed: 0, lapsed: 0, pending: 0, renewalRate: null },
      { bucket: "2026-09-14", due: 1, renewed: 0, lapsed: 1, pending: 0, renewalRate: 0 },
      { bucket: "2026-09-21", due: 0, renewed: 0, lapsed: 0, pending: 0, renewalRate: null },
      { bucket: "2026-09-28", due: 1, renewed: 0, lapsed: 0, pending: 1, renewalRate: null },
    ]);
    expect(await wh.query("paid_card_renewal", { bucket: "month" })).toEqual([
      { bucket: "2026-09-01", due: 4, renewed: 1, lapsed: 2, pending: 1, renewalRate: 1 / 3 },
    ]);
  });
});

describe("check-in streak distribution", () => {
  it("bands each member's longest streak in the range, every band listed", async () => {
    const q = 1 / 4;
    expect(await wh.query("checkin_streaks")).toEqual([
      { streak: "1", members: 1, share: q },
      { streak: "2", members: 1, share: q },
      { streak: "3", members: 0, share: 0 },
      { streak: "4-6", members: 0, share: 0 },
      { streak: "7-13", members: 1, share: q },
      { streak: "14-29", members: 0, share: 0 },
      { streak: "30+", members: 1, share: q },
    ]);
    expect((await wh.query("checkin_streaks", {}, "nobody")).map((r) => r.share)).toEqual(Array(7).fill(null));
  });
});

describe("member vs non-member retention and LTV (the retention and LTV metrics with a segment)", () => {
  it("retention", async () => {
    const row = (users: number, d1: number, d7: number, d30: number) => ({ cohort: "2026-09-07", users, d1, d7, d30, d1Rate: d1 / users, d7Rate: d7 / users, d30Rate: d30 / users });
    expect(await wh.query("retention")).toEqual([row(3, 3, 2, 1)]);
    expect(await wh.query("retention", { segment: "members" })).toEqual([row(1, 1, 1, 0)]);
    expect(await wh.query("retention", { segment: "non_members" })).toEqual([row(2, 2, 1, 1)]);
    expect((await wh.query("retention_matrix", { segment: "members" })).map((r) => r.users)).toEqual([1]);
  });

  it("LTV", async () => {
    const row = (users: number, cents: number) => ({ cohort: "2026-09-07", users, ltv7Cents: cents, ltv30Cents: cents, ltv90Cents: cents });
    expect(await wh.query("ltv")).toEqual([row(3, 500)]);
    expect(await wh.query("ltv", { segment: "members" })).toEqual([row(1, 1000)]);
    expect(await wh.query("ltv", { segment: "non_members" })).toEqual([row(2, 250)]);
  });
});
