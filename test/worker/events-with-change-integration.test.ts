import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventEnvelope } from "../../schema/events";
import { issueApiKey, revokeKey } from "../../worker/services/api-keys";
import { requestOtp, verifyOtp } from "../../worker/services/buyers";
import { updateOwnTenant } from "../../worker/services/tenants";
import { api, createTenant, recordedEvents, countRows, failingEnv, recordedOfType } from "./helpers";
import { FUTURE, shop, shopWithKeys } from "./commerce-helpers";
import { currentConsentVersion } from "../../schema/privacy";

const consent = { version: currentConsentVersion("phone_sign_in"), accepted: true as const, marketing: false, channel: "web" as const };

/**
 * Every state change writes its event row in its own D1 batch: the row exists if and only if the change committed.
 * `failingEnv` stands in for a crash or a constraint error inside the change.
 */
const ofType = recordedOfType;
const count = countRows;

describe("events are recorded with their change (same D1 batch)", { timeout: 60_000 }, () => {
  it("API keys: a failed create leaves neither key nor event; a revoke records api_key_revoked once, an unknown key none", async () => {
    const { tenant } = await createTenant();
    await expect(issueApiKey(failingEnv(), tenant.id, "broken", ["analyst"], null)).rejects.toThrow();
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND name = 'broken'", tenant.id)).toBe(0);
    expect((await ofType(tenant.id, "api_key_created")).map((e) => e.payload.scopes)).toEqual(["admin"]); // the fixture's key only

    const key = await issueApiKey(env, tenant.id, "ops", ["analyst"], null);
    expect((await ofType(tenant.id, "api_key_created")).map((e) => e.payload.keyId)).toContain(key.id);
    await expect(revokeKey(failingEnv(), tenant.id, key.id, null)).rejects.toThrow();
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL", key.id)).toBe(0);
    expect(await ofType(tenant.id, "api_key_revoked")).toHaveLength(0);

    await revokeKey(env, tenant.id, key.id, null);
    await revokeKey(env, tenant.id, key.id, null);
    expect(await revokeKey(env, tenant.id, "key_unknown", null)).toBeNull();
    expect((await ofType(tenant.id, "api_key_revoked")).map((e) => e.payload.keyId)).toEqual([key.id]);
  });

  it("tenant_updated only when the update committed", async () => {
    const { tenant } = await createTenant();
    await expect(updateOwnTenant(failingEnv(), tenant.id, { name: "Never" }, null)).rejects.toThrow();
    expect(await ofType(tenant.id, "tenant_updated")).toHaveLength(0);
    await updateOwnTenant(env, tenant.id, { name: "Renamed", allowedOrigins: ["https://shop.example"] }, null);
    const [updated, ...rest] = await ofType(tenant.id, "tenant_updated");
    expect(rest).toHaveLength(0);
    expect(updated!.payload).toEqual({ name: "Renamed", allowedOrigins: 1 });
  });

  it("product_published once per move to published (a repeat publish records nothing)", async () => {
    const { tenant, adminKey, productId } = await shopWithKeys(1);
    const publish = () => api(`/products/${productId}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    expect((await publish()).status).toBe(200); // already published by the fixture
    expect(await ofType(tenant.id, "product_published")).toHaveLength(1);
    expect((await api(`/products/${productId}/status`, { method: "POST", token: adminKey, json: { status: "draft" } })).status).toBe(200);
    await publish();
    expect(await ofType(tenant.id, "product_published")).toHaveLength(2);
  });

  it("keys_imported counts what the chunk really inserted; a chunk of duplicates records nothing", async () => {
    const { tenant, adminKey, productId } = await shopWithKeys(0);
    const rows = [{ line: 2, secret: `K-${crypto.randomUUID()}` }, { line: 3, secret: `K-${crypto.randomUUID()}` }, { line: 4, secret: "bad\u0001key" }];
    const first = await api(`/products/${productId}/keys/import`, { method: "POST", token: adminKey, json: { rows } });
    expect(first.body.inserted).toBe(2);
    const again = await api(`/products/${productId}/keys/import`, { method: "POST", token: adminKey, json: { rows: rows.slice(0, 2) } });
    expect(again.body.inserted).toBe(0);
    const imported = await ofType(tenant.id, "keys_imported");
    expect(imported.map((e) => [e.payload.inserted, e.payload.rejected])).toEqual([[2, 1]]);
  });

  it("sign-in: a failed transaction leaves the code unused, no account and no event; then sign-up and sign-in are recorded with the account", async () => {
    const { tenant } = await createTenant();
    const phone = "13900000077";
    await requestOtp(env, tenant.id, phone);
    expect(await ofType(tenant.id, "otp_requested")).toHaveLength(1);
    const sms = await env.DB.prepare("SELECT body FROM sms_outbox WHERE tenant_id = ? ORDER BY created_at DESC LIMIT 1").bind(tenant.id).first<{ body: string }>();
    const code = /(\d{6})/.exec(sms!.body)![1]!;

    await expect(verifyOtp(failingEnv(), tenant.id, phone, code, null, consent)).rejects.toThrow();
    expect(await count("SELECT count(*) AS n FROM buyers WHERE tenant_id = ?", tenant.id)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM otp_codes WHERE tenant_id = ? AND consumed_at IS NOT NULL", tenant.id)).toBe(0);
    expect(await ofType(tenant.id, "user_signed_up")).toHaveLength(0);
    expect(await ofType(tenant.id, "buyer_signed_in")).toHaveLength(0);

    const buyer = await verifyOtp(env, tenant.id, phone, code, null, consent);
    await expect(verifyOtp(env, tenant.id, phone, code, null, consent)).rejects.toThrow(/already used|wrong or has expired/);
    expect((await ofType(tenant.id, "user_signed_up")).map((e) => [e.actor.userId, e.payload.buyerKind])).toEqual([[buyer.id, "phone"]]);
    expect((await ofType(tenant.id, "buyer_signed_in")).map((e) => e.actor.userId)).toEqual([buyer.id]);
  });

  it("a guest created with its order: user_signed_up and order_created (a coupon product) come with the rows, low_stock with the hold that crossed the threshold", async () => {
    const { tenant, adminKey } = await createTenant();
    const p = await api("/products", {
      method: "POST", token: adminKey,
      json: { kind: "coupon", name: "满100减20", priceCents: 0, faceValueCents: 2000, validity: FUTURE, scope: "全场", stockTotal: 3, lowStockThreshold: 1, config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } },
    });
    expect(p.status).toBe(201);
    await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const orders = [];
    for (let i = 0; i < 3; i++) orders.push(await shop(tenant.slug, "/orders", { method: "POST", idem: `lowstock-${i}`, json: { productId: p.body.id } }));
    expect(orders.map((o) => o.status)).toEqual([201, 201, 201]);
    const created = await ofType(tenant.id, "order_created");
    expect(created.map((e) => e.payload.orderId).sort()).toEqual(orders.map((o) => o.body.id).sort());
    expect(created.every((e) => e.payload.kind === "coupon")).toBe(true);
    // Three guests, three sign-ups, each with its buyer.
    expect(new Set((await ofType(tenant.id, "user_signed_up")).map((e) => e.actor.userId)).size).toBe(3);
    // Stock 3 → 2 → 1 (crosses the threshold 1: one event, with the stock the batch saw) → 0 (already below: none).
    const low = await ofType(tenant.id, "low_stock");
    expect(low.map((e) => e.payload)).toEqual([{ productId: p.body.id, available: 1, threshold: 1 }]);
    // Every envelope the batches built (computed fields included) is valid against its type's schema.
    for (const e of await recordedEvents(tenant.id)) expect(EventEnvelope.safeParse(e).success, JSON.stringify(e)).toBe(true);
    expect(low[0]!.eventId).toBe(`evls_${orders[1]!.body.id}_${p.body.id.slice(-10)}`);
  });
});
