import { describe, expect, it } from "vitest";
import { api, countRows, createTenant } from "./helpers";
import { FUTURE, shop, shopWithKeys } from "./commerce-helpers";

// An operator's (or a shopper's client's) typo in a field name used to change nothing and answer 200 (or fall back to a default): now it is a
// 400 naming the field, and nothing changes.
describe("unknown fields in an input", () => {
  it("a typo in PATCH /tenant is refused at its own path, and the tenant is unchanged", async () => {
    const { adminKey } = await createTenant();
    const before = await api("/tenant", { token: adminKey });
    const r = await api("/tenant", { method: "PATCH", token: adminKey, json: { eventRetentionDay: 30, name: "改名" } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "validation_failed", issues: [{ path: "json.eventRetentionDay", message: 'Unknown field "eventRetentionDay"', code: "unrecognized_keys" }] });
    expect(r.body.error.message).toContain("json.eventRetentionDay");
    expect((await api("/tenant", { token: adminKey })).body).toEqual(before.body);
  });

  it("a product and a campaign with a misspelt field are not created", async () => {
    const { adminKey } = await createTenant();
    const product = { kind: "coupon", name: "券", priceCents: 0, faceValueCents: 1000, validity: FUTURE, scope: "全场", config: { coupon: { thresholdCents: 5000, discountCents: 1000 } } };
    const bad = await api("/products", { method: "POST", token: adminKey, json: { ...product, costPrice: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["json.costPrice"]);
    expect((await api("/products", { token: adminKey })).body.products).toEqual([]);

    const ok = await api("/products", { method: "POST", token: adminKey, json: product });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const now = Date.now();
    const campaign = { kind: "coupon_claim", name: "领券", productId: ok.body.id, stock: 5, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() };
    const typo = await api("/campaigns", { method: "POST", token: adminKey, json: { ...campaign, perUserLimt: 3 } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["json.perUserLimt"]);
    expect((await api("/campaigns", { token: adminKey })).body.campaigns).toEqual([]);
  });

  it("a shopper's order with a misspelt field is refused, and no order is made", async () => {
    const { tenant, slug, productId } = await shopWithKeys(2);
    const r = await shop(slug, "/orders", { method: "POST", json: { productId, quantity: 1, couponIds: ["vch_x"] }, headers: { "idempotency-key": crypto.randomUUID() } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["json.couponIds"]);
    expect(await countRows("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ?", tenant.id)).toBe(0);
  });
});
