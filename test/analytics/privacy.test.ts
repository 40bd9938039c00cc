import { describe, expect, it } from "vitest";
import { applyRetention, rekeyUser, userEvents } from "../../analytics/privacy";
import { at, ev, OTHER, TENANT, useWarehouse } from "./metric-harness";

// u1 signs up, is referred by nobody, refers u3, pays twice; u2 pays once. u1's device also viewed a page before
// signing up (no user id). Erasing u1 must leave every total as it was and nothing naming u1 or that device.
const fixture = [
  ev("user_signed_up", "u1", at("09-07"), { campaignId: "k1" }),
  ev("user_signed_up", "u2", at("09-07", 11), { campaignId: "k1" }),
  ev("user_signed_up", "u3", at("09-08"), {}, "u1"),
  ev("order_paid", "u1", at("09-08", 12), { orderId: "o1", productId: "p1", amountCents: 1990 }),
  ev("order_paid", "u1", at("09-09"), { orderId: "o2", productId: "p1", amountCents: 990 }),
  ev("order_paid", "u2", at("09-09", 12), { orderId: "o3", productId: "p1", amountCents: 1990 }),
  ev("guest_attached", "u1", at("09-09", 13), { guestId: "g1" }),
  ev("voucher_issued", "u2", at("09-07", 12), { voucherId: "vq", campaignId: "k1" }),
];
const wh = useWarehouse(fixture);

describe("warehouse privacy: a user's events, erasure by re-keying, retention", () => {
  it("exports exactly the user's events, then re-keys them: totals hold, the person is gone, the other tenant untouched", async () => {
    const mine = await userEvents(wh.client(), { tenantId: TENANT, userIds: ["u1", "g1"], limit: 100 });
    expect(mine.map((e) => e.type)).toEqual(["user_signed_up", "order_paid", "order_paid", "guest_attached"]);
    expect(mine.every((e) => e.userId === "u1")).toBe(true);

    const before = { top: await wh.query("top_products"), funnel: await wh.query("funnel"), ltv: await wh.query("ltv") };
    const res = await rekeyUser(wh.client(), { tenantId: TENANT, userIds: ["u1", "g1"], deviceIds: [], pseudonym: "anon_0123456789abcdef" });
    expect(res.remaining).toBe(0);
    expect(await userEvents(wh.client(), { tenantId: TENANT, userIds: ["u1", "g1"], limit: 100 })).toEqual([]);
    const anon = await userEvents(wh.client(), { tenantId: TENANT, userIds: ["anon_0123456789abcdef"], limit: 100 });
    expect(anon).toHaveLength(4);
    expect(anon.find((e) => e.type === "guest_attached")!.payload).not.toContain("g1");
    const rs = await wh.client().query({ query: "SELECT referrer_id FROM events WHERE tenant_id = {t:String} AND user_id = 'u3'", query_params: { t: TENANT }, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ referrer_id: "anon_0123456789abcdef" }]);
    expect(await wh.query("top_products")).toEqual(before.top);
    expect(await wh.query("funnel")).toEqual(before.funnel);
    expect(await wh.query("ltv")).toEqual(before.ltv);
    expect(before.ltv.length).toBeGreaterThan(0);
    // The funnel's own copy (funnel_people) no longer holds the user's key either.
    const keys = await wh.client().query({
      query: "SELECT count() AS n FROM funnel_people WHERE tenant_id = {t:String} AND (person_key IN (cityHash64('u1'), cityHash64('g1')) OR link_key IN (cityHash64('u1'), cityHash64('g1')))",
      query_params: { t: TENANT }, format: "JSONEachRow",
    });
    expect(Number((await keys.json<{ n: number }>())[0]!.n)).toBe(0);
    // Nor LTV's (ltv_people): u1's sign-up and two payments are under the pseudonym's key now.
    const ltvKeys = await wh.client().query({
      query: "SELECT countIf(user_key IN (cityHash64('u1'), cityHash64('g1'))) AS named, countIf(user_key = cityHash64('anon_0123456789abcdef')) AS anon FROM ltv_people WHERE tenant_id = {t:String}",
      query_params: { t: TENANT }, format: "JSONEachRow",
    });
    expect((await ltvKeys.json<{ named: number; anon: number }>()).map((r) => [Number(r.named), Number(r.anon)])).toEqual([[0, 3]]);
    // Nor the attachment of g1 to u1 (person_merges, schema/clickhouse/0024); the other tenant's stays.
    const merges = await wh.client().query({ query: "SELECT tenant_id AS t, count() AS n FROM person_merges GROUP BY t ORDER BY t", format: "JSONEachRow" });
    expect((await merges.json<{ t: string; n: number }>()).map((r) => [r.t, Number(r.n)])).toEqual([[OTHER, 1]]);
    // the same ids in another tenant are another person
    expect(await userEvents(wh.client(), { tenantId: OTHER, userIds: ["x-u1"], limit: 100 })).toHaveLength(4);
    // idempotent: a second run (late deliveries) finds nothing left
    expect((await rekeyUser(wh.client(), { tenantId: TENANT, userIds: ["u1", "g1"], deviceIds: [], pseudonym: "anon_0123456789abcdef" })).remaining).toBe(0);
  });

  it("retention deletes only the tenant's events older than its window", async () => {
    const count = async (t: string) => {
      const rs = await wh.client().query({ query: "SELECT count() AS n FROM events WHERE tenant_id = {t:String}", query_params: { t }, format: "JSONEachRow" });
      return Number((await rs.json<{ n: number }>())[0]!.n);
    };
    const other = await count(OTHER);
    const days = Math.floor((Date.now() - at("09-08").getTime()) / 86_400_000);
    const cutoff = Date.now() - days * 86_400_000;
    const old = fixture.filter((f) => f.occurredAt.getTime() < cutoff).length;
    expect(old).toBeGreaterThanOrEqual(2); // the two sign-ups of 09-07 at least, never all of them
    expect(old).toBeLessThan(fixture.length);
    const voucherRows = async () => {
      const rs = await wh.client().query({ query: "SELECT count() AS n FROM redemption_vouchers WHERE tenant_id = {t:String}", query_params: { t: TENANT }, format: "JSONEachRow" });
      return Number((await rs.json<{ n: number }>())[0]!.n);
    };
    expect(await voucherRows()).toBe(1); // vq, issued on 09-07
    const r = await applyRetention(wh.client(), { tenantId: TENANT, days });
    expect(r.deleted).toBe(old);
    expect(await count(TENANT)).toBe(fixture.length - old);
    expect(await count(OTHER)).toBe(other);
    const oldSteps = await wh.client().query({
      query: "SELECT count() AS n FROM funnel_people WHERE tenant_id = {t:String} AND occurred_at < now() - toIntervalDay({d:UInt16})",
      query_params: { t: TENANT, d: days }, format: "JSONEachRow",
    });
    expect(Number((await oldSteps.json<{ n: number }>())[0]!.n)).toBe(0);
    const oldPayments = await wh.client().query({
      query: "SELECT count() AS n FROM ltv_people WHERE tenant_id = {t:String} AND occurred_at < now() - toIntervalDay({d:UInt16})",
      query_params: { t: TENANT, d: days }, format: "JSONEachRow",
    });
    expect(Number((await oldPayments.json<{ n: number }>())[0]!.n)).toBe(0);
    expect(await voucherRows()).toBe(0);
  });
});
