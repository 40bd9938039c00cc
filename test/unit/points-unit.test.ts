import { describe, expect, it } from "vitest";
import { addMonths, checkInPoints, consumeOldestFirst, dueForReminder, liabilityCents, nextStreak, pointsForAmount, previousDay, reversalOf } from "../../worker/domain/points";
import { chinaDay } from "../../worker/domain/china-time";

describe("points domain", () => {
  it("consumes lots soonest-expiry first, partly from the last one, and refuses more than they hold", () => {
    const lots = [
      { id: "b", remaining: 50, expiresAt: "2027-03-01T00:00:00.000Z" },
      { id: "a", remaining: 30, expiresAt: "2027-01-01T00:00:00.000Z" },
      { id: "c", remaining: 0, expiresAt: "2026-12-01T00:00:00.000Z" },
      { id: "d", remaining: 20, expiresAt: "2027-03-01T00:00:00.000Z" },
    ];
    expect(consumeOldestFirst(lots, 60)).toEqual([{ lotId: "a", points: 30 }, { lotId: "b", points: 30 }]);
    expect(consumeOldestFirst(lots, 100)).toEqual([{ lotId: "a", points: 30 }, { lotId: "b", points: 50 }, { lotId: "d", points: 20 }]);
    expect(() => consumeOldestFirst(lots, 101)).toThrow(/short by 1/);
  });

  it("counts streaks over Asia/Shanghai days, with bonuses on the exact streak day", () => {
    // 16:30 UTC is already the next day in Shanghai.
    expect(chinaDay(new Date("2026-11-30T16:30:00Z"))).toBe("2026-12-01");
    expect(chinaDay(new Date("2026-11-30T15:59:59Z"))).toBe("2026-11-30");
    expect(previousDay("2027-03-01")).toBe("2027-02-28");
    expect(nextStreak("2026-12-01", null)).toBe(1);
    expect(nextStreak("2026-12-01", { day: "2026-11-30", streak: 6 })).toBe(7);
    expect(nextStreak("2026-12-01", { day: "2026-11-29", streak: 6 })).toBe(1);
    const rewards = [{ day: 7, points: 50 }, { day: 30, points: 200 }];
    expect(checkInPoints(6, 5, rewards)).toBe(5);
    expect(checkInPoints(7, 5, rewards)).toBe(55);
    expect(checkInPoints(30, 5, rewards)).toBe(205);
  });

  it("earn, reversal, value and expiry arithmetic", () => {
    expect(pointsForAmount(1990, 2)).toBe(39);
    expect(pointsForAmount(-5, 2)).toBe(0);
    expect(reversalOf({ points: 39, remaining: 9 })).toEqual({ points: 9, shortfall: 30 });
    expect(liabilityCents(333, 50)).toBe(167);
    expect(addMonths(new Date("2026-01-31T10:00:00Z"), 1).toISOString()).toBe("2026-02-28T10:00:00.000Z");
    expect(addMonths(new Date("2026-11-30T10:00:00Z"), 12).toISOString()).toBe("2027-11-30T10:00:00.000Z");
    const now = new Date("2027-01-01T00:00:00Z");
    expect(dueForReminder({ remaining: 5, expiresAt: "2027-01-06T00:00:00Z", remindedAt: null }, now, 7)).toBe(true);
    expect(dueForReminder({ remaining: 5, expiresAt: "2027-01-09T00:00:00Z", remindedAt: null }, now, 7)).toBe(false);
    expect(dueForReminder({ remaining: 5, expiresAt: "2027-01-06T00:00:00Z", remindedAt: "2026-12-31" }, now, 7)).toBe(false);
    expect(dueForReminder({ remaining: 0, expiresAt: "2027-01-06T00:00:00Z", remindedAt: null }, now, 7)).toBe(false);
  });
});
