import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";
import { shop } from "./commerce-helpers";

// Issue 13 #4: a direct recharge must refuse an account that cannot be the product's kind ("充错号码无法退回").
async function rechargeProduct(recharge: object) {
  const { adminKey, tenant } = await createTenant();
  const p = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "direct_recharge", name: "话费直充", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "大陆手机号", stockTotal: 100, config: { recharge } },
  });
  expect(p.status).toBe(201);
  await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
  return { slug: tenant.slug as string, productId: p.body.id as string, adminKey };
}

const order = (slug: string, productId: string, rechargeAccount: string) =>
  shop(slug, "/orders", { method: "POST", idem: `acct-${crypto.randomUUID()}`, json: { productId, rechargeAccount } });

describe("direct recharge account validation", () => {
  it("answers 422 naming the field for a bad mobile number and creates no order", async () => {
    const s = await rechargeProduct({ accountLabel: "手机号", accountKind: "mobile_cn" });
    for (const bad of ["1380013", "abc", "23800138000", "138001380001"]) {
      const r = await order(s.slug, s.productId, bad);
      expect(r.status, bad).toBe(422);
      expect(r.body.error.code).toBe("invalid_recharge_account");
      expect(r.body.error.issues[0].path).toBe("json.rechargeAccount");
    }
    const ok = await order(s.slug, s.productId, "13800138000");
    expect(ok.status).toBe(201);
    const mine = await shop(s.slug, "/orders", { cookie: ok.cookie });
    expect(mine.body.orders).toHaveLength(1);
  });

  it("checks QQ numbers, game ids and a product's own pattern; refuses a pattern that does not compile", async () => {
    const qq = await rechargeProduct({ accountLabel: "QQ 号", accountKind: "qq" });
    expect((await order(qq.slug, qq.productId, "0123")).status).toBe(422);
    expect((await order(qq.slug, qq.productId, "10001")).status).toBe(201);
    const game = await rechargeProduct({ accountLabel: "游戏 ID", accountKind: "game_id" });
    expect((await order(game.slug, game.productId, "a b")).status).toBe(422);
    expect((await order(game.slug, game.productId, "hero_42")).status).toBe(201);
    const own = await rechargeProduct({ accountLabel: "会员号", accountPattern: "^VIP[0-9]{6}$" });
    expect((await order(own.slug, own.productId, "VIP12")).status).toBe(422);
    expect((await order(own.slug, own.productId, "VIP123456")).status).toBe(201);
    const broken = await api("/products", {
      method: "POST", token: own.adminKey,
      json: { kind: "direct_recharge", name: "坏规则", priceCents: 100, faceValueCents: 100, config: { recharge: { accountPattern: "([" } } },
    });
    expect(broken.status).toBe(400);
  });

  it("a product's own pattern is matched in linear time: nested repeats cannot hold the worker; back-references are refused at save", async () => {
    const s = await rechargeProduct({ accountLabel: "会员号", accountPattern: "^(a+)+$" });
    // RegExp would backtrack 2^64 times on this one.
    const r = await order(s.slug, s.productId, `${"a".repeat(63)}!`);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("invalid_recharge_account");
    expect((await order(s.slug, s.productId, "a".repeat(64))).status).toBe(201);
    const backref = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "direct_recharge", name: "回溯", priceCents: 100, faceValueCents: 100, config: { recharge: { accountPattern: "^(a)\\1$" } } },
    });
    expect(backref.status).toBe(400);
    expect(backref.body.error.issues[0].path).toBe("json.config.recharge.accountPattern");
  });
});

describe("a bundle with a direct recharge item", () => {
  it("carries the recharge item's account rule in the shop's product views, so the product page asks for the account the order needs", async () => {
    const s = await rechargeProduct({ accountLabel: "手机号", accountKind: "mobile_cn" });
    const mk = async (json: object) => {
      const p = await api("/products", { method: "POST", token: s.adminKey, json: { faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "视频 App 会员", ...json } });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      expect((await api(`/products/${p.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
      return p.body.id as string;
    };
    const coupon = await mk({ kind: "coupon", name: "满100减20券", priceCents: 0, stockTotal: 10, config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } });
    const withRecharge = await mk({ kind: "bundle", name: "话费+券", priceCents: 2980, stockTotal: 10, config: { bundle: { items: [{ productId: s.productId, quantity: 1 }, { productId: coupon, quantity: 1 }] } } });
    const couponsOnly = await mk({ kind: "bundle", name: "双券", priceCents: 100, stockTotal: 10, config: { bundle: { items: [{ productId: coupon, quantity: 1 }, { productId: coupon, quantity: 2 }] } } });

    const one = await shop(s.slug, `/products/${withRecharge}`);
    expect(one.status).toBe(200);
    expect(one.body.config.recharge).toEqual({ accountLabel: "手机号", accountKind: "mobile_cn" });
    const list = (await shop(s.slug, "/products")).body.products;
    expect(list.find((p: any) => p.id === withRecharge).config.recharge).toEqual({ accountLabel: "手机号", accountKind: "mobile_cn" });
    expect(list.find((p: any) => p.id === couponsOnly).config.recharge).toBeUndefined();
    expect((await shop(s.slug, `/products/${couponsOnly}`)).body.config.recharge).toBeUndefined();
    // The order refuses a bundle without the account and a wrong one, like the recharge itself.
    expect((await shop(s.slug, "/orders", { method: "POST", idem: `b-${crypto.randomUUID()}`, json: { productId: withRecharge } })).body.error.code).toBe("recharge_account_required");
    expect((await order(s.slug, withRecharge, "1380013")).status).toBe(422);
    const placed = await order(s.slug, withRecharge, "13800138000");
    expect(placed.status).toBe(201);
    // The order view says what was bought, so the buyer's page words a bundle's or a recharge's outcome for it.
    const view = async (r: Awaited<ReturnType<typeof order>>) => (await shop(s.slug, `/orders/${r.body.id}`, { cookie: r.cookie })).body;
    expect((await view(placed)).productKind).toBe("bundle");
    // And a bundle's items, so a failed one's page names the item that failed and the others not delivered.
    expect((await view(placed)).bundleItems).toEqual([
      { productId: s.productId, name: "话费直充", kind: "direct_recharge", quantity: 1 }, { productId: coupon, name: "满100减20券", kind: "coupon", quantity: 1 },
    ]);
    const recharge = await order(s.slug, s.productId, "13800138000");
    expect((await view(recharge)).productKind).toBe("direct_recharge");
    expect((await view(recharge)).bundleItems).toBeUndefined();
    expect((await shop(s.slug, "/orders", { cookie: recharge.cookie })).body.orders[0].productKind).toBe("direct_recharge");
  });

  it("lists a bundle's items by name and count in the shop's product views (the page shows them under the price)", async () => {
    const s = await rechargeProduct({ accountLabel: "手机号", accountKind: "mobile_cn" });
    const coupon = await api("/products", { method: "POST", token: s.adminKey, json: { kind: "coupon", name: "满100减20券", priceCents: 0, faceValueCents: 1000, stockTotal: 10, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } } });
    expect(coupon.status, JSON.stringify(coupon.body)).toBe(201);
    const bundle = await api("/products", { method: "POST", token: s.adminKey, json: { kind: "bundle", name: "话费+券", priceCents: 2980, faceValueCents: 3000, stockTotal: 10, validity: { kind: "relative", days: 30 }, scope: "全场", config: { bundle: { items: [{ productId: s.productId, quantity: 1 }, { productId: coupon.body.id, quantity: 2 }] } } } });
    expect(bundle.status, JSON.stringify(bundle.body)).toBe(201);
    expect((await api(`/products/${bundle.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const name = (await api(`/products/${s.productId}`, { token: s.adminKey })).body.name;
    const items = [{ productId: s.productId, name, kind: "direct_recharge", quantity: 1 }, { productId: coupon.body.id, name: "满100减20券", kind: "coupon", quantity: 2 }];
    expect((await shop(s.slug, `/products/${bundle.body.id}`)).body.bundleItems).toEqual(items);
    expect((await shop(s.slug, "/products")).body.products.find((p: any) => p.id === bundle.body.id).bundleItems).toEqual(items);
    expect((await shop(s.slug, `/products/${s.productId}`)).body.bundleItems).toBeUndefined();
  });
});
