import { describe, expect, it } from "vitest";
import { cardNumber, effectiveTier, growthForCents, inBirthdayMonth, memberPrice, progressToNext, reviewCycle, reviewStep, tierForGrowth } from "../../worker/domain/tiers";
import { TierPrivileges, type Tier } from "../../schema/members";

const p = TierPrivileges.parse({});
const tiers: Tier[] = [
  { id: "gold", name: "金", rank: 2, growthThreshold: 500, privileges: p },
  { id: "base", name: "普", rank: 0, growthThreshold: 0, privileges: p },
  { id: "silver", name: "银", rank: 1, growthThreshold: 100, privileges: p },
];
const now = new Date("2026-03-10T00:00:00.000Z");

describe("tiers", () => {
  it("the best tier a growth value reaches, and the progress to the next", () => {
    expect([0, 99, 100, 499, 500, 10_000].map((g) => tierForGrowth(tiers, g)?.id)).toEqual(["base", "base", "silver", "silver", "gold", "gold"]);
    expect(tierForGrowth(tiers.slice(0, 1), 10)).toBeNull();
    expect(progressToNext(tiers, tiers[2]!, 300)).toEqual({ id: "gold", name: "金", growthThreshold: 500, growthNeeded: 200, progressPercent: 50, privileges: p });
    expect(progressToNext(tiers, tiers[0]!, 900)).toBeNull();
    expect(progressToNext(tiers, null, 0)).toMatchObject({ id: "base", growthNeeded: 0, progressPercent: 0 });
  });

  it("progress never points to a tier below the one in force (a paid card above the earned tier)", () => {
    const plus: Tier = { id: "plus", name: "PLUS", rank: 3, growthThreshold: 1_000_000, privileges: p };
    const black: Tier = { id: "black", name: "黑", rank: 4, growthThreshold: 2000, privileges: p };
    const base = tiers[1]!;
    expect(progressToNext([...tiers, plus], base, 50, plus)).toBeNull();
    expect(progressToNext([...tiers, plus, black], base, 500, plus)).toEqual({ id: "black", name: "黑", growthThreshold: 2000, growthNeeded: 1500, progressPercent: 25, privileges: p });
    // A paid tier below the earned one changes nothing.
    expect(progressToNext(tiers, tiers[2]!, 300, base)).toMatchObject({ id: "gold", growthNeeded: 200 });
  });

  it("a valid paid card's tier counts when it is better", () => {
    expect(effectiveTier(tiers, "silver", "gold", "2026-04-01T00:00:00.000Z", now)?.id).toBe("gold");
    expect(effectiveTier(tiers, "silver", "gold", "2026-03-01T00:00:00.000Z", now)?.id).toBe("silver");
    expect(effectiveTier(tiers, "gold", "silver", "2026-04-01T00:00:00.000Z", now)?.id).toBe("gold");
    expect(effectiveTier(tiers, null, null, null, now)).toBeNull();
  });

  it("yearly review: grace first, downgrade only after it, kept when growth caught up", () => {
    expect(reviewStep(tiers, "gold", 600, null, 30, now)).toEqual({ kind: "keep" });
    expect(reviewStep(tiers, "gold", 120, null, 30, now)).toMatchObject({ kind: "grace", target: { id: "silver" }, graceUntil: "2026-04-09T00:00:00.000Z" });
    const grace = { state: "grace", graceUntil: "2026-04-09T00:00:00.000Z" };
    expect(reviewStep(tiers, "gold", 120, grace, 30, new Date("2026-04-01T00:00:00.000Z"))).toBeNull();
    expect(reviewStep(tiers, "gold", 120, grace, 30, new Date("2026-04-10T00:00:00.000Z"))).toMatchObject({ kind: "down", target: { id: "silver" } });
    expect(reviewStep(tiers, "gold", 700, grace, 30, new Date("2026-04-10T00:00:00.000Z"))).toEqual({ kind: "keep" });
    expect(reviewStep(tiers, "gold", 120, { state: "down", graceUntil: null }, 30, now)).toBeNull();
    expect(reviewCycle("2025-03-01T00:00:00.000Z", now)).toBe(1);
    expect(reviewCycle("2025-04-01T00:00:00.000Z", now)).toBe(0);
  });

  it("prices, growth, birthdays and card numbers", () => {
    expect([memberPrice(1990, 10), memberPrice(999, 5), memberPrice(100, 0)]).toEqual([1791, 949, 100]);
    expect([growthForCents(1999, 1), growthForCents(1990, 2), growthForCents(50, 1)]).toEqual([19, 39, 0]);
    expect([inBirthdayMonth("03-15", now), inBirthdayMonth("04-01", now), inBirthdayMonth(null, now)]).toEqual([true, false, false]);
    expect(cardNumber(new Uint8Array(8))).toBe("000000000000");
    expect(cardNumber()).toMatch(/^\d{12}$/);
  });
});
