import { describe, expect, it } from "vitest";
import { createWarehouseApp } from "../../analytics/app";
import { computeSegmentPage, previewSegment } from "../../analytics/segments/compute";
import { WarehouseSegmentRules, type SegmentComputeRequest } from "../../schema/segments";
import { signBody } from "../../worker/domain/signature";
import { at, ev, TENANT, useWarehouse } from "./metric-harness";

/*
 * Evaluated as of 2026-09-30T00:00Z (`at` = 10:00 UTC of the day):
 *   a: paid 09-01 1000, paid 09-25 5000        → F 2, M 6000, R 4 days (4.58), last seen 09-25
 *   b: paid 08-01 2000, viewed p1 09-20         → F 1, M 2000, R 59, viewed after the last payment
 *   c: page_view of campaign c1 on 07-01 only   → F 0, last seen 07-01 (dormant)
 *   d: viewed p1 09-10, paid 09-12 3000          → F 1, M 3000, R 17, bought after the view
 *   e: paid 06-01 500                            → F 1, M 500, R 120 (120.58), dormant
 *   f: viewed p2 09-29                           → F 0, viewed, never bought
 *   g: paid 10-05, after asOf                    → not seen at all
 */
const paid = (u: string, day: string, cents: number) => ev("order_paid", u, at(day), { orderId: `o-${u}-${day}`, amountCents: cents });
const fixture = [
  paid("a", "09-01", 1000), paid("a", "09-25", 5000),
  paid("b", "08-01", 2000), ev("product_viewed", "b", at("09-20"), { productId: "p1" }),
  ev("page_view", "c", at("07-01"), { campaignId: "c1" }),
  ev("product_viewed", "d", at("09-10"), { productId: "p1" }), paid("d", "09-12", 3000),
  paid("e", "06-01", 500),
  ev("product_viewed", "f", at("09-29"), { productId: "p2" }),
  paid("g", "10-05", 9000),
];
const AS_OF = "2026-09-30T00:00:00.000Z";
const wh = useWarehouse(fixture);

async function ids(rules: unknown, page: Partial<SegmentComputeRequest> = {}) {
  const r = await computeSegmentPage(wh.client(), { tenantId: TENANT, rules: WarehouseSegmentRules.parse(rules), asOf: AS_OF, after: "", limit: 5000, ...page });
  return r.userIds;
}

describe("segment rules in ClickHouse (hand-computed)", () => {
  it("frequency and monetary bands", async () => {
    expect(await ids({ frequency: { min: 1 } })).toEqual(["a", "b", "d", "e"]);
    expect(await ids({ frequency: { min: 2, max: 2 } })).toEqual(["a"]);
    expect(await ids({ monetaryCents: { min: 2000 } })).toEqual(["a", "b", "d"]);
    expect(await ids({ monetaryCents: { max: 2500 } })).toEqual(["b", "c", "e", "f"]);
  });

  it("recency in whole days since the last paid order (never-paid buyers never match)", async () => {
    expect(await ids({ recencyDays: { max: 30 } })).toEqual(["a", "d"]);
    expect(await ids({ recencyDays: { min: 59, max: 59 } })).toEqual(["b"]);
    expect(await ids({ recencyDays: { min: 60 } })).toEqual(["e"]);
    expect(await ids({ recencyDays: { min: 4, max: 4 } })).toEqual(["a"]);
  });

  it("dormant N days: active once, nothing since", async () => {
    expect(await ids({ dormantDays: 30 })).toEqual(["c", "e"]);
    expect(await ids({ dormantDays: 100 })).toEqual(["e"]);
  });

  it("viewed but not bought since", async () => {
    expect(await ids({ viewedNotBought: { days: 30 } })).toEqual(["b", "f"]);
    expect(await ids({ viewedNotBought: { days: 30, productIds: ["p1"] } })).toEqual(["b"]);
    expect(await ids({ viewedNotBought: { days: 5 } })).toEqual(["f"]);
    expect(await ids({ viewedNotBought: { days: 120, campaignIds: ["c1"] } })).toEqual(["c"]);
    expect(await ids({ viewedNotBought: { days: 60, campaignIds: ["c1"] } })).toEqual([]);
  });

  it("high LTV by amount and by top percent of payers", async () => {
    expect(await ids({ highLtv: { minCents: 3000 } })).toEqual(["a", "d"]);
    expect(await ids({ highLtv: { topPercent: 50 } })).toEqual(["a", "d"]); // 4 payers → 2
    expect(await ids({ highLtv: { topPercent: 10 } })).toEqual(["a"]); // ceil(0.4) → 1
  });

  it("rules combine with AND; no behaviour rule = everyone seen", async () => {
    expect(await ids({ frequency: { min: 1 }, dormantDays: 30 })).toEqual(["e"]);
    expect(await ids({ highLtv: { topPercent: 100 }, recencyDays: { max: 30 } })).toEqual(["a", "d"]);
    expect(await ids({})).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("keyset pages with the size on each", async () => {
    const p = (after: string) => computeSegmentPage(wh.client(), { tenantId: TENANT, rules: WarehouseSegmentRules.parse({ frequency: { min: 1 } }), asOf: AS_OF, after, limit: 2 });
    expect(await p("")).toEqual({ userIds: ["a", "b"], size: 4, nextAfter: "b" });
    expect(await p("b")).toEqual({ userIds: ["d", "e"], size: 4, nextAfter: "e" });
    expect(await p("e")).toEqual({ userIds: [], size: 4, nextAfter: null });
  });

  it("preview: size, a sample, the SQL time; the other tenant's rows never leak", async () => {
    const p = await previewSegment(wh.client(), { tenantId: TENANT, rules: WarehouseSegmentRules.parse({ frequency: { min: 1 } }), asOf: AS_OF });
    expect(p.size).toBe(4);
    expect([...p.sample].sort()).toEqual(["a", "b", "d", "e"]);
    expect(p.tookMs).toBeGreaterThanOrEqual(0);
  });

  it("the signed route: bad rules → 400 with field paths, wrong key → 401", async () => {
    const app = createWarehouseApp({ client: wh.client(), ingestSecret: "i", querySecret: "q", embedded: true });
    const post = async (secret: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      return app.request("/v1/segments/compute", { method: "POST", body, headers: { "x-kaquan-signature": await signBody(secret, body) } });
    };
    const bad = await post("q", { tenantId: TENANT, rules: { frequency: { min: 3, max: 1 } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(["rules.frequency.max"]);
    expect((await post("i", { tenantId: TENANT, rules: {} })).status).toBe(401);
    const ok = await post("q", { tenantId: TENANT, rules: { dormantDays: 30 }, asOf: AS_OF });
    expect(await ok.json()).toEqual({ userIds: ["c", "e"], size: 2, nextAfter: null });
  });
});
