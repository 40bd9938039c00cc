import { describe, expect, it } from "vitest";
import { bucketSql, bucketsOf } from "../../analytics/metrics/buckets";
import { apiRange, presetRange, previousPeriod, NO_FILTERS } from "../../site/src/lib/dashboard/filters";
import { RevenueOverallParams as AnalyticsParams } from "../../schema/analytics";
import { ExportQuery } from "../../schema/exports";
import { chinaDay } from "../../worker/domain/china-time";

/**
 * The business runs on China time (Asia/Shanghai, UTC+8): the dashboard's days are China days. An order paid at
 * 07:30 on 12-07 China time (23:30 UTC on 12-06) belongs to 12-07; with UTC days the 今天 tile at that moment showed
 * 12-06 (16 hours of yesterday, China time) and the order fell into yesterday's range.
 */
describe("dashboard days are China days", () => {
  const at0730China = new Date("2026-12-06T23:30:00Z");

  it("今天 / 7天 at 07:30 China time are the China dates", () => {
    expect(presetRange(1, at0730China)).toEqual({ from: "2026-12-07", to: "2026-12-07" });
    expect(presetRange(7, at0730China)).toEqual({ from: "2026-12-01", to: "2026-12-07" });
    // and late in the China day (23:30 China = 15:30 UTC) it is still that day
    expect(presetRange(1, new Date("2026-12-07T15:30:00Z"))).toEqual({ from: "2026-12-07", to: "2026-12-07" });
  });

  it("sends the range as China midnights, which the API reads as those instants", () => {
    const r = apiRange({ from: "2026-12-07", to: "2026-12-07" });
    expect(r).toEqual({ from: "2026-12-07T00:00:00+08:00", to: "2026-12-08T00:00:00+08:00" });
    const p = AnalyticsParams.parse(r);
    expect([p.from, p.to]).toEqual(["2026-12-06T16:00:00.000Z", "2026-12-07T16:00:00.000Z"]);
    // the order at 07:30 China time is inside 今天, and not in yesterday's range
    const t = at0730China.toISOString();
    expect(p.from <= t && t < p.to).toBe(true);
    const y = AnalyticsParams.parse(apiRange({ from: "2026-12-06", to: "2026-12-06" }));
    expect(y.from <= t && t < y.to).toBe(false);
    // month ends and the comparison period stay plain date arithmetic
    expect(apiRange({ from: "2026-11-01", to: "2026-11-30" }).to).toBe("2026-12-01T00:00:00+08:00");
    expect(previousPeriod({ ...NO_FILTERS({ from: "2026-12-01", to: "2026-12-07" }) })).toMatchObject({ from: "2026-11-24", to: "2026-11-30" });
  });

  it("buckets members and points by China calendar days, weeks and months", () => {
    const { from, to } = AnalyticsParams.parse(apiRange({ from: "2026-11-30", to: "2026-12-07" }));
    const days = bucketsOf(from, to, "day");
    expect(days.map((b) => b.label)).toEqual(["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"]);
    expect(days[0]).toEqual({ label: "2026-11-30", start: "2026-11-29T16:00:00.000Z", end: "2026-11-30T16:00:00.000Z" });
    expect(bucketsOf(from, to, "week")).toEqual([
      { label: "2026-11-30", start: "2026-11-29T16:00:00.000Z", end: "2026-12-06T16:00:00.000Z" },
      { label: "2026-12-07", start: "2026-12-06T16:00:00.000Z", end: "2026-12-07T16:00:00.000Z" },
    ]);
    expect(bucketsOf(from, to, "month").map((b) => b.label)).toEqual(["2026-11-01", "2026-12-01"]);
    // the SQL labels an instant with the same China calendar
    expect(bucketSql("occurred_at", "day")).toBe("toString(toDate(occurred_at, 'Asia/Shanghai'))");
    expect(bucketSql("occurred_at", "week")).toBe("toString(toMonday(occurred_at, 'Asia/Shanghai'))");
  });

  it("a bare date in the API is that China day's midnight, for the metrics and the exports alike (a BI tool's first bucket is whole)", () => {
    const p = AnalyticsParams.parse({ from: "2026-12-01", to: "2026-12-08" });
    expect([p.from, p.to]).toEqual(["2026-11-30T16:00:00.000Z", "2026-12-07T16:00:00.000Z"]);
    expect(bucketsOf(p.from, p.to, "day")[0]).toEqual({ label: "2026-12-01", start: "2026-11-30T16:00:00.000Z", end: "2026-12-01T16:00:00.000Z" });
    const x = ExportQuery.parse({ from: "2026-12-01", to: "2026-12-08" });
    expect([x.from, x.to]).toEqual(["2026-11-30T16:00:00.000Z", "2026-12-07T16:00:00.000Z"]);
    // a date-time keeps its own offset
    expect(AnalyticsParams.parse({ from: "2026-12-01T00:00:00Z", to: "2026-12-02T00:00:00Z" }).from).toBe("2026-12-01T00:00:00.000Z");
    expect(chinaDay("2026-11-30T16:00:00.000Z")).toBe("2026-12-01");
    expect(chinaDay(Date.parse("2026-11-30T15:59:59.999Z"))).toBe("2026-11-30");
  });
});
