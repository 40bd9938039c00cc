import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";

describe("GET /redemptions/today", () => {
  it("counts today's successful redemptions and their face value per store, tenant-scoped, bound keys to their store", async () => {
    const b = await redemptionBrand();
    const other = await api("/stores", { method: "POST", token: b.adminKey, json: { name: "徐家汇店" } });
    for (let i = 0; i < 2; i++) expect((await redeemReq(b.redeemerKey, { code: (await issue(b.tenant.id, b.productId)).code, storeId: b.store.id })).status).toBe(200);
    expect((await redeemReq(b.redeemerKey, { code: (await issue(b.tenant.id, b.productId)).code, storeId: other.body.id })).status).toBe(200);
    expect((await redeemReq(b.redeemerKey, { code: "vc_doesnotexist0000", storeId: b.store.id })).status).toBe(404);
    // A redemption from yesterday (CST) does not count today.
    const old = await issue(b.tenant.id, b.productId);
    expect((await redeemReq(b.redeemerKey, { code: old.code, storeId: b.store.id })).status).toBe(200);
    await env.DB.prepare("UPDATE redemptions SET created_at = ? WHERE voucher_id = ?").bind(new Date(Date.now() - 2 * 86_400_000).toISOString(), old.id).run();

    const here = await api(`/redemptions/today?storeId=${b.store.id}`, { token: b.redeemerKey });
    expect(here.status).toBe(200);
    expect(here.body).toMatchObject({ storeId: b.store.id, count: 2, faceValueCents: 4000, discountCents: 0 });
    expect(here.body.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Date.parse(here.body.since)).toBeLessThanOrEqual(Date.now());
    expect((await api("/redemptions/today", { token: b.redeemerKey })).body).toMatchObject({ storeId: null, count: 3, faceValueCents: 6000 });

    // Another brand's key sees nothing of this brand.
    const stranger = await redemptionBrand();
    expect((await api(`/redemptions/today?storeId=${b.store.id}`, { token: stranger.redeemerKey })).body).toMatchObject({ count: 0, faceValueCents: 0 });

    // A store-bound key sees its store only, and may not ask for another.
    expect((await api(`/redeemer-keys/${b.redeemerKeyId}`, { method: "PUT", token: b.adminKey, json: { storeId: b.store.id } })).status).toBe(200);
    expect((await api("/redemptions/today", { token: b.redeemerKey })).body).toMatchObject({ storeId: b.store.id, count: 2 });
    expect((await api(`/redemptions/today?storeId=${other.body.id}`, { token: b.redeemerKey })).status).toBe(403);
    expect((await api("/redemptions/today?storeId=", { token: b.redeemerKey })).status).toBe(400);
  });
});
