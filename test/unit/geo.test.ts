import { describe, expect, it } from "vitest";
import { byDistance, haversineMeters, mapUrl, openState, shanghaiClock, spanMinutes } from "../../worker/domain/geo";
import { OpeningHours } from "../../schema/stores";
import { CreateStoreInput, UpdateStoreInput } from "../../schema/redemptions";
import { NearbyQuery } from "../../schema/stores";

describe("haversine", () => {
  it("matches known distances", () => {
    // One degree along a meridian on the mean-radius sphere: π·6371.0088 km / 180.
    expect(haversineMeters({ lat: 0, lng: 0 }, { lat: 1, lng: 0 })).toBeCloseTo(111_195.08, 1);
    // Beijing Tiananmen → Shanghai People's Square ≈ 1,067 km; London → Paris ≈ 343.5 km (great circle).
    expect(haversineMeters({ lat: 39.9042, lng: 116.4074 }, { lat: 31.2304, lng: 121.4737 }) / 1000).toBeCloseTo(1067.3, 0);
    expect(haversineMeters({ lat: 51.5074, lng: -0.1278 }, { lat: 48.8566, lng: 2.3522 }) / 1000).toBeCloseTo(343.6, 0);
    // Across the antimeridian it is the short way round, and symmetric; a point is 0 from itself.
    expect(haversineMeters({ lat: 0, lng: 179.5 }, { lat: 0, lng: -179.5 })).toBeCloseTo(111_195.08, 1);
    const a = { lat: 31.2353, lng: 121.4747 }, b = { lat: 31.1955, lng: 121.4375 };
    expect(haversineMeters(a, b)).toBeCloseTo(haversineMeters(b, a), 6);
    expect(haversineMeters(a, a)).toBe(0);
    // Antipodes: half the circumference.
    expect(haversineMeters({ lat: 90, lng: 0 }, { lat: -90, lng: 0 })).toBeCloseTo(Math.PI * 6_371_008.8, 0);
  });

  it("orders nearest first, stores without coordinates last by name", () => {
    const rows = [
      { name: "乙", distanceMeters: null }, { name: "far", distanceMeters: 900 }, { name: "甲", distanceMeters: null }, { name: "near", distanceMeters: 10 },
    ];
    expect(byDistance(rows).map((r) => r.name)).toEqual(["near", "far", "甲", "乙"]);
  });

  it("links to a map page without an SDK, saying the point is WGS-84", () => {
    const u = new URL(mapUrl({ lat: 31.2, lng: 121.4 }, "店 A"));
    expect(u.origin).toBe("https://uri.amap.com");
    expect(u.searchParams.get("position")).toBe("121.4,31.2");
    expect(u.searchParams.get("coordinate")).toBe("wgs84");
  });
});

describe("opening hours (Asia/Shanghai)", () => {
  const hours = OpeningHours.parse({ mon: ["09:00-12:00", "13:00-21:00"], fri: ["10:00-02:00"], sat: ["00:00-24:00"] });
  // 2026-09-07 is a Monday. Shanghai = UTC+8, no daylight saving.
  const at = (iso: string) => new Date(iso);

  it("reads the wall clock in Shanghai, not UTC", () => {
    // Sunday 20:00 UTC is Monday 04:00 in Shanghai.
    expect(shanghaiClock(at("2026-09-06T20:00:00Z"))).toEqual({ day: 0, minute: 240 });
    expect(spanMinutes("22:00-02:00")).toEqual([1320, 1560]);
    expect(spanMinutes("00:00-24:00")).toEqual([0, 1440]);
  });

  it("is open inside a span and closed in a gap, at the edges start-inclusive and end-exclusive", () => {
    expect(openState(hours, at("2026-09-07T01:00:00Z"))).toEqual({ openNow: true, todayHours: ["09:00-12:00", "13:00-21:00"] }); // Mon 09:00
    expect(openState(hours, at("2026-09-07T04:30:00Z")).openNow).toBe(false); // Mon 12:30, lunch gap
    expect(openState(hours, at("2026-09-07T13:00:00Z")).openNow).toBe(false); // Mon 21:00
    expect(openState(hours, at("2026-09-07T12:59:00Z")).openNow).toBe(true); // Mon 20:59
    // The same instant judged in UTC (Monday 01:00) would be closed; in Shanghai it is 09:00 and open.
    expect(openState(hours, at("2026-09-07T00:59:00Z")).openNow).toBe(false); // Mon 08:59
  });

  it("runs an overnight span past midnight into the next day", () => {
    expect(openState(hours, at("2026-09-11T15:00:00Z"))).toEqual({ openNow: true, todayHours: ["10:00-02:00"] }); // Fri 23:00
    // Saturday 01:30: Friday's span still open (and Saturday is all day anyway); Tuesday 01:30 after a closed Monday night.
    expect(openState({ ...hours, sat: [] }, at("2026-09-11T17:30:00Z"))).toEqual({ openNow: true, todayHours: [] });
    expect(openState({ ...hours, sat: [] }, at("2026-09-11T18:00:00Z")).openNow).toBe(false); // Sat 02:00
    expect(openState(hours, at("2026-09-12T15:59:00Z")).openNow).toBe(true); // Sat 23:59, all day
    // Sunday is closed: Saturday's 24:00 end does not run into Sunday.
    expect(openState(hours, at("2026-09-12T16:00:00Z"))).toEqual({ openNow: false, todayHours: [] });
  });

  it("has no flag when the hours are unknown", () => {
    expect(openState(null, new Date())).toEqual({ openNow: null, todayHours: null });
  });
});

describe("store contracts", () => {
  const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join(".")).sort();

  it("refuses bad coordinates and hours with field paths", () => {
    const bad = CreateStoreInput.safeParse({ name: "A", lat: 91, lng: 200, hours: { mon: ["9:00-21:00"], tue: ["10:00-10:00"], fri: ["10:00-25:00"], xyz: [] } });
    expect(bad.success).toBe(false);
    expect(paths(bad)).toEqual(["hours", "hours.fri.0", "hours.mon.0", "hours.tue.0", "lat", "lng"]);
    expect(paths(CreateStoreInput.safeParse({ name: "A", lat: 31 }))).toEqual(["lng"]);
    expect(paths(UpdateStoreInput.safeParse({ lng: 121 }))).toEqual(["lng"]);
    expect(CreateStoreInput.parse({ name: "A", lat: -90, lng: 180, city: "上海", hours: { sat: ["22:00-02:00", "00:00-24:00"] } }).hours?.sun).toEqual([]);
    expect(UpdateStoreInput.parse({ lat: null, lng: null })).toEqual({ lat: null, lng: null });
  });

  it("parses the nearby query from strings and refuses junk", () => {
    expect(NearbyQuery.parse({ lat: "31.2304", lng: "-121.5" })).toEqual({ lat: 31.2304, lng: -121.5 });
    expect(paths(NearbyQuery.safeParse({ lat: "91", lng: "0" }))).toEqual(["lat"]);
    expect(paths(NearbyQuery.safeParse({ lat: "abc", lng: "1e3" }))).toEqual(["lat", "lng"]);
    expect(paths(NearbyQuery.safeParse({ lat: "31" }))).toEqual(["lng"]);
  });
});
