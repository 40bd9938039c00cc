import { describe, expect, it } from "vitest";
import { bucketsOf } from "../../analytics/metrics/buckets";
import { EVENT_PAYLOADS } from "../../schema/events";
import { SIM_PAID_TIER, SIM_TIERS, simulateMembers } from "../../scripts/lib/sim-members";
import { DEMO_TIERS } from "../../scripts/lib/seed-tiers";
import { bucketFor, pivotTiers, sumCohorts } from "../../site/src/lib/dashboard/membership-data";

describe("membership buckets (warehouse)", () => {
  it("covers [from, to) from the calendar start (China time) of the first week/month; the last bucket ends at `to`", () => {
    // China midnights are 16:00 UTC the day before (Asia/Shanghai, UTC+8)
    expect(bucketsOf("2026-09-02T00:00:00.000Z", "2026-09-15T12:00:00.000Z", "week")).toEqual([
      { label: "2026-08-31", start: "2026-09-02T00:00:00.000Z", end: "2026-09-06T16:00:00.000Z" },
      { label: "2026-09-07", start: "2026-09-06T16:00:00.000Z", end: "2026-09-13T16:00:00.000Z" },
      { label: "2026-09-14", start: "2026-09-13T16:00:00.000Z", end: "2026-09-15T12:00:00.000Z" },
    ]);
    expect(bucketsOf("2026-01-31T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "month").map((b) => b.label)).toEqual(["2026-01-01", "2026-02-01", "2026-03-01"]);
    expect(bucketsOf("2026-08-31T16:00:00.000Z", "2026-09-02T16:00:00.000Z", "day").map((b) => b.end)).toEqual(["2026-09-01T16:00:00.000Z", "2026-09-02T16:00:00.000Z"]);
  });
});

describe("dashboard 会员 helpers", () => {
  it("picks day, week or month buckets by the range's length", () => {
    expect([["2026-09-01", "2026-10-01"], ["2026-09-01", "2026-10-02"], ["2026-01-01", "2026-12-31"]].map(([from, to]) => bucketFor({ from: from!, to: to! }))).toEqual(["day", "week", "month"]);
  });

  it("pivots tiers per bucket and sums cohorts, leaving a young cohort's null day out of its rate", () => {
    const { buckets, tiers, counts } = pivotTiers([
      { bucket: "2026-09-07", tierId: "gold", members: 2 },
      { bucket: "2026-09-14", tierId: "", members: 1 },
      { bucket: "2026-09-14", tierId: "gold", members: 3 },
    ]);
    expect([buckets, tiers, counts.get("2026-09-14|gold"), counts.get("2026-09-07|")]).toEqual([["2026-09-07", "2026-09-14"], ["", "gold"], 3, undefined]);
    const retention = [
      { cohort: "a", users: 4, d1: 2, d7: 1, d30: 1 },
      { cohort: "b", users: 6, d1: 3, d7: null, d30: null },
    ];
    const ltv = [{ cohort: "a", users: 4, ltv30Cents: 1000, ltv90Cents: 2000 }, { cohort: "b", users: 6, ltv30Cents: 500, ltv90Cents: 500 }];
    expect(sumCohorts(retention, ltv)).toEqual({ users: 10, d1Rate: 0.5, d7Rate: 0.25, d30Rate: 0.25, ltv30Cents: 700, ltv90Cents: 1100 });
    expect(sumCohorts([], [])).toEqual({ users: 0, d1Rate: null, d7Rate: null, d30Rate: null, ltv30Cents: null, ltv90Cents: null });
  });
});

describe("simulated membership history (demo seed)", () => {
  const end = Date.UTC(2026, 10, 30);
  const events = simulateMembers({ seed: 17, members: 30, nonMembers: 10, start: end - 60 * 86_400_000, end, runId: "t" });

  it("is valid for the typed seam, in the window, with every event type the 会员 views read", () => {
    for (const e of events) {
      expect(EVENT_PAYLOADS[e.type].safeParse(e.payload).success, `${e.type} ${JSON.stringify(e.payload)}`).toBe(true);
      expect(Date.parse(e.occurredAt)).toBeLessThan(end);
    }
    const types = new Set(events.map((e) => e.type));
    for (const t of ["member_joined", "member_tier_changed", "points_earned", "points_spent", "points_reversed", "member_checked_in", "paid_card_changed"] as const) expect(types).toContain(t);
    expect(new Set(events.filter((e) => e.type === "member_joined").map((e) => e.payload.memberId)).size).toBe(30);
  });

  it("never takes a member's points below zero, and each event's balance is the running sum", () => {
    const balance = new Map<string, number>();
    for (const e of events.filter((x) => x.type.startsWith("points_"))) {
      const b = (balance.get(String(e.payload.memberId)) ?? 0) + Number(e.payload.points);
      balance.set(String(e.payload.memberId), b);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(e.payload.balance).toBe(b);
    }
  });

  it("counts its members under the brand's seeded tiers (their ids), so a tier is one row of the dashboard, not two", () => {
    const tierIds = Object.fromEntries(DEMO_TIERS.map((t, i) => [t.name, `tier_${i}`]));
    const seeded = simulateMembers({ seed: 17, members: 30, nonMembers: 10, start: end - 60 * 86_400_000, end, runId: "t", tierIds });
    const used = new Set(seeded.flatMap((e) => [e.payload.tierId, e.payload.fromTierId, e.payload.toTierId]).filter((x) => x !== undefined));
    used.delete(SIM_PAID_TIER); // the paid card's tier: the demo sells no paid card
    expect([...used].sort()).toEqual(["tier_0", "tier_1", "tier_2"]);
    // The ladder the seed makes is the one the history climbs.
    expect(DEMO_TIERS.map((t) => [t.name, t.rank, t.growthThreshold])).toEqual(SIM_TIERS.map((t) => [t.id, t.rank, t.growth]));
  });
});
