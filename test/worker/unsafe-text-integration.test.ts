import { describe, expect, it } from "vitest";
import { FUTURE, pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, countRows } from "./helpers";

/**
 * Text people read (product, brand, store and campaign names, ticket messages) with a NUL, a right-to-left override or
 * an unpaired surrogate is refused with a 400 naming the field, and nothing is stored; ordinary text — Chinese, line
 * breaks, tabs, emoji (a surrogate pair) — still goes in. Before, all of it was stored: a product named with U+202E
 * showed its name reversed on the storefront, and a lone surrogate came back as U+FFFD.
 */
const TRICKS: [string, string][] = [["nul", "视频\u0000月卡"], ["rtl override", "月卡\u202e0991¥"], ["lone surrogate", "月卡\ud800"], ["bell", "月卡\u0007"], ["isolate", "\u2067月卡"]];
const refused = (r: { status: number; body: any }, path: string) => {
  expect(r.status).toBe(400);
  expect(r.body.error).toMatchObject({ code: "validation_failed", requestId: expect.any(String) });
  expect(r.body.error.issues).toContainEqual(expect.objectContaining({ path, code: "unsafe_characters" }));
};

describe("unsafe characters in display text", { timeout: 60_000 }, () => {
  it("are refused in products, the brand's name, stores and campaigns, with nothing stored", async () => {
    const { adminKey, tenant } = await shopWithKeys(0);
    const products = await countRows("SELECT count(*) AS n FROM products WHERE tenant_id = ?", tenant.id);
    for (const [, trick] of TRICKS) {
      const base = { kind: "card_key", name: "视频会员月卡", priceCents: 1990, faceValueCents: 2500, validity: FUTURE };
      refused(await api("/products", { method: "POST", token: adminKey, json: { ...base, name: trick } }), "json.name");
      refused(await api("/products", { method: "POST", token: adminKey, json: { ...base, scope: trick } }), "json.scope");
      refused(await api("/tenant", { method: "PATCH", token: adminKey, json: { name: trick } }), "json.name");
      refused(await api("/stores", { method: "POST", token: adminKey, json: { name: trick } }), "json.name");
      refused(await api("/campaigns", { method: "POST", token: adminKey, json: { kind: "coupon_claim", name: trick } }), "json.name");
    }
    expect(await countRows("SELECT count(*) AS n FROM products WHERE tenant_id = ?", tenant.id)).toBe(products);
    expect(await countRows("SELECT count(*) AS n FROM stores WHERE tenant_id = ?", tenant.id)).toBe(0);
    expect((await api("/tenant", { token: adminKey })).body.name).toBe(tenant.name);

    const ordinary = "视频会员 月卡 🎬\n第二行\t说明";
    const ok = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "会员 🎬 月卡", description: ordinary, tutorial: ordinary, priceCents: 1990, faceValueCents: 2500, validity: FUTURE } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name: "会员 🎬 月卡", description: ordinary, tutorial: ordinary });
  });

  it("are refused in a buyer's ticket and the operator's reply, and the ticket thread stays as it was", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(1);
    const o = await shop(slug, "/orders", { method: "POST", idem: `ut-${crypto.randomUUID()}`, json: { productId } });
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const path = `/orders/${o.body.id}/tickets`;
    for (const [, trick] of TRICKS) {
      refused(await shop(slug, path, { method: "POST", cookie: o.cookie, json: { reason: "key_invalid", body: trick } }), "json.body");
    }
    expect(await countRows("SELECT count(*) AS n FROM after_sale_tickets WHERE tenant_id = ?", tenant.id)).toBe(0);
    const opened = await shop(slug, path, { method: "POST", cookie: o.cookie, json: { reason: "key_invalid", body: "卡密无效\n提示已被使用 😢" } });
    expect(opened.status).toBe(201);
    refused(await api(`/tickets/${opened.body.id}/replies`, { method: "POST", token: adminKey, json: { body: "您好\u202e" } }), "json.body");
    expect((await api(`/tickets/${opened.body.id}`, { token: adminKey })).body.messages).toHaveLength(0);
    refused(await shop(slug, path, { method: "POST", cookie: o.cookie, json: { reason: "key_invalid", body: "卡密无效", contact: "微信\u202eabc" } }), "json.contact");
  });

  it("are refused in the names an operator gives keys, webhooks, segments and suppliers", async () => {
    const { adminKey } = await shopWithKeys(0);
    const keys = await countRows("SELECT count(*) AS n FROM api_keys");
    for (const [, trick] of TRICKS) {
      refused(await api("/keys", { method: "POST", token: adminKey, json: { name: trick, scopes: ["analyst"] } }), "json.name");
      refused(await api("/webhooks/endpoints", { method: "POST", token: adminKey, json: { url: "https://hooks.example/kq", eventTypes: ["order_paid"], description: trick } }), "json.description");
      refused(await api("/segments", { method: "POST", token: adminKey, json: { name: trick } }), "json.name");
      refused(await api("/suppliers", { method: "POST", token: adminKey, json: { name: trick } }), "json.name");
    }
    expect(await countRows("SELECT count(*) AS n FROM api_keys")).toBe(keys);
  });
});
