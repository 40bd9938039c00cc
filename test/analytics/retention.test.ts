import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { keySlices, PERSONS_PER_SLICE, setPersonsPerSlice } from "../../analytics/metrics/person-slices";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Cohort week 2026-09-07: u1, u2 sign up Mon 09-07; u3 Tue 09-08; u4 Wed 09-09 (acquired by campaign cA).
 * Cohort week 2026-09-14: u5 signs up 09-14 (cA). u0 signed up in August (outside the cohort range).
 * Day offsets of activity (from each user's own sign-up day):
 *   u1: 1 (09-08), 7 (09-14 paid), 8 (09-15), 30 (10-07)   u2: 1        u3: 2 (09-10), 7 (09-15 paid)
 *   u4: 1 (09-10), 30 (10-09)                             u5: 7 (09-21)
 */
const fixture = [
  ev("user_signed_up", "u0", at("08-01")),
  ev("page_view", "u0", at("09-08")),
  ev("user_signed_up", "u1", at("09-07")),
  ev("user_signed_up", "u2", at("09-07", 12), { utmSource: "wechat" }),
  ev("user_signed_up", "u3", at("09-08")),
  ev("user_signed_up", "u4", at("09-09"), { acquisitionCampaignId: "cA", shareLink: "sh1", origin: "https://brand.example" }, "u1"),
  ev("user_signed_up", "u5", at("09-14"), { acquisitionCampaignId: "cA" }),
  ev("page_view", "u1", at("09-08")),
  ev("order_paid", "u1", at("09-14"), { orderId: "o1", amountCents: 1000 }),
  ev("page_view", "u1", at("09-15")),
  ev("page_view", "u1", at("10-07")),
  ev("page_view", "u2", at("09-08", 9)),
  ev("page_view", "u2", at("09-08", 10)),
  ev("page_view", "u3", at("09-10")),
  ev("order_paid", "u3", at("09-15"), { orderId: "o3", amountCents: 500 }),
  ev("page_view", "u4", at("09-10")),
  ev("product_viewed", "u4", at("10-09")),
  ev("page_view", "u5", at("09-21")),
];

const wh = useWarehouse(fixture);

describe("retention D1/D7/D30", () => {
  it("counts users active on exactly day 1, 7 and 30 of their sign-up, by weekly cohort", async () => {
    expect(await wh.query("retention")).toEqual([
      // u1..u4; D1: u1, u2, u4; D7: u1 (09-14), u3 (09-15); D30: u1 (10-07), u4 (10-09)
      { cohort: "2026-09-07", users: 4, d1: 3, d7: 2, d30: 2, d1Rate: 0.75, d7Rate: 0.5, d30Rate: 0.5 },
      { cohort: "2026-09-14", users: 1, d1: 0, d7: 1, d30: 0, d1Rate: 0, d7Rate: 1, d30Rate: 0 },
    ]);
  });

  it("filters by acquisition campaign", async () => {
    expect(await wh.query("retention", { acquisitionCampaignId: "cA" })).toEqual([
      { cohort: "2026-09-07", users: 1, d1: 1, d7: 0, d30: 1, d1Rate: 1, d7Rate: 0, d30Rate: 1 },
      { cohort: "2026-09-14", users: 1, d1: 0, d7: 1, d30: 0, d1Rate: 0, d7Rate: 1, d30Rate: 0 },
    ]);
  });

  it("filters by attribution: channel (UTM source), share vs organic, embedding origin", async () => {
    // u2 came from wechat (active 09-08 = D1); u4 through u1's share link inside the brand's widget (D1, D30).
    expect(await wh.query("retention", { channel: "wechat" })).toEqual([
      { cohort: "2026-09-07", users: 1, d1: 1, d7: 0, d30: 0, d1Rate: 1, d7Rate: 0, d30Rate: 0 },
    ]);
    const u4 = [{ cohort: "2026-09-07", users: 1, d1: 1, d7: 0, d30: 1, d1Rate: 1, d7Rate: 0, d30Rate: 1 }];
    expect(await wh.query("retention", { source: "share" })).toEqual(u4);
    expect(await wh.query("retention", { origin: "https://brand.example" })).toEqual(u4);
    // Organic: u1, u2, u3 (D1: u1, u2; D7: u1, u3; D30: u1) and u5.
    expect(await wh.query("retention", { source: "organic" })).toEqual([
      { cohort: "2026-09-07", users: 3, d1: 2, d7: 2, d30: 1, d1Rate: 2 / 3, d7Rate: 2 / 3, d30Rate: 1 / 3 },
      { cohort: "2026-09-14", users: 1, d1: 0, d7: 1, d30: 0, d1Rate: 0, d7Rate: 1, d30Rate: 0 },
    ]);
    expect(await wh.query("retention", { channel: "nowhere" })).toEqual([]);
    await expect(wh.query("retention", { source: "paid" })).rejects.toMatchObject({ issues: [{ path: ["source"] }] });
  });

  it("cohorts by first purchase", async () => {
    // u1 first paid 09-14 (active 09-15 = D1, 10-07 = D23); u3 first paid 09-15, nothing after.
    expect(await wh.query("retention", { cohortBy: "first_purchase" })).toEqual([
      { cohort: "2026-09-14", users: 2, d1: 1, d7: 0, d30: 0, d1Rate: 0.5, d7Rate: 0, d30Rate: 0 },
    ]);
  });

  it("rejects bad params with field paths", async () => {
    await expect(wh.query("retention", { cohortBy: "nope" })).rejects.toMatchObject({ issues: [{ path: ["cohortBy"] }] });
    await expect(wh.query("retention", { from: "2026-10-01", to: "2026-09-01" })).rejects.toMatchObject({ issues: [{ path: ["to"] }] });
  });
});

/** Cohort metrics see activity up to now: pin the clock (Date only) so that which cells have elapsed is fixed. */
const pinNow = (iso: string) => vi.useFakeTimers({ toFake: ["Date"], now: new Date(iso) });

describe("young cohorts (the day or week has not ended yet for every member)", () => {
  afterEach(() => vi.useRealTimers());

  it("retention: a day N not yet over for the cohort's last member is null, count and rate", async () => {
    // Now 2026-10-10 12:00. Cohort 09-07's last member (u4) signed up 09-09: day 30 = 10-09, over at 10-10 00:00.
    // Cohort 09-14 (u5, 09-14): day 30 = 10-14, not over; D1 (09-15) and D7 (09-21) are.
    pinNow("2026-10-10T12:00:00Z");
    expect(await wh.query("retention")).toEqual([
      { cohort: "2026-09-07", users: 4, d1: 3, d7: 2, d30: 2, d1Rate: 0.75, d7Rate: 0.5, d30Rate: 0.5 },
      { cohort: "2026-09-14", users: 1, d1: 0, d7: 1, d30: null, d1Rate: 0, d7Rate: 1, d30Rate: null },
    ]);
  });

  it("retention matrix: weeks not yet over are null instead of 0%", async () => {
    // Now 2026-10-10 12:00. Week k is over for a member when 7k + 7 days have passed since their cohort day.
    // Cohort 09-07, last member 09-09: 31.5 days → W0..W3 over (W4 = 10-07..10-13 is not, though u1 and u4 were
    // already active in it). Cohort 09-14: 26.5 days → W0..W2.
    pinNow("2026-10-10T12:00:00Z");
    const open = (n: number) => Array.from({ length: n }, () => null);
    expect(await wh.query("retention_matrix")).toEqual([
      { cohort: "2026-09-07", users: 4, retained: [4, 2, 0, 0, ...open(9)], rates: [1, 0.5, 0, 0, ...open(9)] },
      { cohort: "2026-09-14", users: 1, retained: [1, 1, 0, ...open(10)], rates: [1, 1, 0, ...open(10)] },
    ]);
  });

  it("retention matrix: W0 of a cohort that started today is the whole cohort, not null (every member's cohort day is in it)", async () => {
    // Now 2026-09-14 12:00: cohort 09-14 (u5) is half a day old; cohort 09-07's last member (09-09) is 5.5 days in.
    pinNow("2026-09-14T12:00:00Z");
    const open = (n: number) => Array.from({ length: n }, () => null);
    expect(await wh.query("retention_matrix")).toEqual([
      { cohort: "2026-09-07", users: 4, retained: [4, ...open(12)], rates: [1, ...open(12)] },
      { cohort: "2026-09-14", users: 1, retained: [1, ...open(12)], rates: [1, ...open(12)] },
    ]);
  });
});

describe("weekly retention matrix W0..W12", () => {
  // Every week of these cohorts is over by 2027 (the matrix reads activity up to 13 weeks after `to`).
  beforeAll(() => {
    pinNow("2027-01-01T00:00:00Z");
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it("counts users active in each week after their cohort event", async () => {
    const rows = await wh.query("retention_matrix");
    // cohort 09-07 weeks: u1 {0,1,4}, u2 {0}, u3 {0,1}, u4 {0,4}; cohort 09-14: u5 {0,1}
    expect(rows).toEqual([
      { cohort: "2026-09-07", users: 4, retained: [4, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0], rates: [1, 0.5, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0] },
      { cohort: "2026-09-14", users: 1, retained: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], rates: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    ]);
  });

  it("takes the attribution filters: the share-link user u4 alone, weeks {0, 4}", async () => {
    expect(await wh.query("retention_matrix", { source: "share" })).toEqual([
      { cohort: "2026-09-07", users: 1, retained: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], rates: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0] },
    ]);
  });

  it("by first-purchase cohort: u1 weeks {0, 3}, u3 {0}", async () => {
    const [row] = await wh.query("retention_matrix", { cohortBy: "first_purchase" });
    expect(row).toMatchObject({ cohort: "2026-09-14", users: 2, retained: [2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
  });
});

describe("a tenant with many people: cohorts read in slices of the user keys", () => {
  afterEach(() => {
    setPersonsPerSlice(PERSONS_PER_SLICE);
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("slices cover every UInt64 key once, in order", () => {
    expect(keySlices(1)).toEqual([{ lo: "0", hi: "18446744073709551615" }]);
    const three = keySlices(3);
    expect(three[0]!.lo).toBe("0");
    expect(three[2]!.hi).toBe("18446744073709551615");
    for (let i = 1; i < three.length; i++) expect(BigInt(three[i]!.lo)).toBe(BigInt(three[i - 1]!.hi) + 1n);
  });

  it("retention and the matrix give the same rows from one-person slices as from one pass", async () => {
    // Now 2026-10-10 12:00: some cells of the young cohorts are still open, so each cohort's last day must merge right.
    pinNow("2026-10-10T12:00:00Z");
    const cases = [{}, { acquisitionCampaignId: "cA" }, { source: "share" }, { source: "organic" }, { cohortBy: "first_purchase" }, { segment: "non_members" }];
    const whole = [];
    for (const c of cases) whole.push([await wh.query("retention", c), await wh.query("retention_matrix", c)]);
    setPersonsPerSlice(1);
    const queries = vi.spyOn(wh.client(), "query");
    const sliced = [];
    for (const c of cases) sliced.push([await wh.query("retention", c), await wh.query("retention_matrix", c)]);
    expect(sliced).toEqual(whole);
    expect(whole[0]![0]).toHaveLength(2);
    // One query per slice: the tenant's six users (and any unmerged profile rows) → at least 6 slices each.
    expect(queries.mock.calls.length).toBeGreaterThanOrEqual(cases.length * 2 * 6);
  });
});
