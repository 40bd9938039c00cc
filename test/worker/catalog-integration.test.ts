import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";
import { sealSecret, secretHash } from "../../worker/domain/secret-box";
import { foldStoredKeys } from "../../worker/services/key-fold";
import { FUTURE, pay, shop } from "./commerce-helpers";

describe("catalog, compliance, inventory", { timeout: 60_000 }, () => {
  it("publishing refuses missing validity/scope and banned phrases, naming the phrase and where it stands", async () => {
    const { adminKey } = await createTenant();
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "全网最低价 顶级会员", priceCents: 100, faceValueCents: 100 } });
    expect(p.status).toBe(201);
    const refused = await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    expect(refused.status).toBe(422);
    const codes = refused.body.error.issues.map((i: any) => `${i.code}:${i.path}`);
    expect(codes).toEqual(expect.arrayContaining(["missing_validity:validity", "missing_scope:scope", "banned_phrase:name[0]", "banned_phrase:name[6]"]));
    expect(refused.body.error.issues.find((i: any) => i.path === "name[0]").message).toContain("全网最低");
    await api(`/products/${p.body.id}`, { method: "PATCH", token: adminKey, json: { name: "视频会员月卡", validity: { kind: "relative", days: 30 }, scope: "仅限视频 App" } });
    const ok = await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe("published");
    // a published product stays clean: an edit adding a banned claim is refused and not saved
    const bad = await api(`/products/${p.body.id}`, { method: "PATCH", token: adminKey, json: { description: "效果100%保证" } });
    expect(bad.status).toBe(422);
    expect((await api(`/products/${p.body.id}`, { token: adminKey })).body.description).toBe("");
  });

  it("publishing refuses full-width, spaced and zero-width claims like the half-width ones, in every field it checks", async () => {
    const { adminKey } = await createTenant();
    const ready = { validity: { kind: "relative", days: 30 }, scope: "仅限视频 App" };
    const refusal = async (json: Record<string, string>) => {
      const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", priceCents: 100, faceValueCents: 100, ...ready, ...json } });
      expect(p.status).toBe(201);
      const r = await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
      expect(r.status, JSON.stringify(json)).toBe(422);
      expect(r.body.error.code).toBe("not_publishable");
      expect((await api(`/products/${p.body.id}`, { token: adminKey })).body.status).toBe("draft");
      return r.body.error.issues.map((i: any) => [i.path, i.code]);
    };
    for (const [wide, half] of [["１００％正品会员月卡", "100%正品会员月卡"], ["ＮＯ．１视频会员", "NO.1视频会员"], ["国 家 级认证券", "国家级认证券"], ["第 一 品牌月卡", "第一品牌月卡"]]) {
      expect(await refusal({ name: wide! }), wide).toEqual(await refusal({ name: half! }));
    }
    expect(await refusal({ name: "视频会员", subtitle: "最\u200B佳", description: "Ｔｏｐ１", usageRules: "绝 对有效", tutorial: "独 家", scope: "全国 第 一 门店" })).toEqual([
      ["description[0]", "banned_phrase"], ["scope[3]", "banned_phrase"], ["subtitle[0]", "banned_phrase"], ["tutorial[0]", "banned_phrase"], ["usageRules[0]", "banned_phrase"],
    ]);
    // An edit of a published product is held to it too, and the message quotes the words as written.
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "视频会员月卡", priceCents: 100, faceValueCents: 100, ...ready } });
    expect((await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
    const bad = await api(`/products/${p.body.id}`, { method: "PATCH", token: adminKey, json: { subtitle: "１００％正品" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues[0].message).toContain("“１００％” (100%) at 0");
    const check = await api("/compliance/check", { method: "POST", token: adminKey, json: { texts: { title: "最 低价", sub: "１００％正品", x: "ＮＯ．１" } } });
    expect(check.body.findings.map((f: any) => [f.field, f.phrase, f.index, f.text])).toEqual([["sub", "100%", 0, "１００％"], ["title", "最低价", 0, "最 低价"], ["x", "NO.1", 0, "ＮＯ．１"]]);
  });

  it("a product whose fixed validity is over is not published, listed or sold (the right would be dead on arrival)", async () => {
    const { adminKey, tenant } = await createTenant();
    const ended = { kind: "fixed", validFrom: "2026-01-01T00:00:00Z", validTo: new Date(Date.now() - 60_000).toISOString() };
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "过期券", priceCents: 0, faceValueCents: 500, validity: ended, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
    expect(p.status).toBe(201);
    const refused = await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ path: "validity.validTo", code: "validity_ended" })]);
    // Published while valid, then its window passes: gone from the catalogue, and an order is refused with the reason.
    await api(`/products/${p.body.id}`, { method: "PATCH", token: adminKey, json: { validity: { ...ended, validTo: FUTURE.validTo } } });
    expect((await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
    expect((await shop(tenant.slug, "/products")).body.products.map((x: any) => x.id)).toContain(p.body.id);
    await env.DB.prepare("UPDATE products SET valid_to = ? WHERE id = ?").bind(ended.validTo, p.body.id).run();
    expect((await shop(tenant.slug, "/products")).body.products.map((x: any) => x.id)).not.toContain(p.body.id);
    const order = await shop(tenant.slug, "/orders", { method: "POST", idem: "ended-order-1", json: { productId: p.body.id } });
    expect([order.status, order.body.error]).toEqual([409, expect.objectContaining({ code: "validity_ended" })]);
  });

  it("a PATCH changes only the fields it sends (a published coupon's stock raised keeps its text, validity, rules and tags)", async () => {
    const { adminKey } = await createTenant();
    const body = {
      kind: "coupon", name: "满50减10券", subtitle: "新客专享", description: "全场满 50 元可用", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 },
      scope: "全场", usageRules: "每单限用一张", perUserLimit: 2, stockTotal: 10, lowStockThreshold: 3, tags: ["新客"], config: { coupon: { thresholdCents: 5000, discountCents: 1000 } },
    };
    const p = await api("/products", { method: "POST", token: adminKey, json: body });
    expect((await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
    const before = (await api(`/products/${p.body.id}`, { token: adminKey })).body;
    const raised = await api(`/products/${p.body.id}`, { method: "PATCH", token: adminKey, json: { stockTotal: 50 } });
    expect(raised.status).toBe(200);
    const after = (await api(`/products/${p.body.id}`, { token: adminKey })).body;
    expect({ ...after, stockTotal: before.stockTotal, stock: before.stock, updatedAt: before.updatedAt }).toEqual(before);
    expect(after.stockTotal).toBe(50);
  });

  it("compliance check API finds each phrase once with its index", async () => {
    const { adminKey } = await createTenant();
    const r = await api("/compliance/check", { method: "POST", token: adminKey, json: { texts: { title: "国家级品质，No.1 选择", body: "安心好用" } } });
    expect(r.body.ok).toBe(false);
    expect(r.body.findings.map((f: any) => [f.field, f.phrase, f.index])).toEqual([["title", "国家级", 0], ["title", "NO.1", 6]]);
    const clean = await api("/compliance/check", { method: "POST", token: adminKey, json: { texts: { title: "安心好用" } } });
    expect(clean.body).toEqual({ ok: true, findings: [] });
    expect((await api("/compliance/check", { method: "POST", json: { texts: {} } })).status).toBe(401);
  });

  it("key import: duplicates in the chunk, across chunks of one batch and against stock are refused per row; keys encrypted", async () => {
    const { adminKey, tenant } = await createTenant();
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "游戏点卡", priceCents: 100, faceValueCents: 100 } });
    const url = `/products/${p.body.id}/keys/import`;
    const a = await api(url, { method: "POST", token: adminKey, json: { batchId: "b1", rows: [{ line: 2, secret: "AAAA-1111" }, { line: 3, secret: "AAAA-1111" }, { line: 4, secret: "BBBB-2222" }, { line: 5, secret: "x" }] } });
    expect(a.status).toBe(400); // "x" fails the contract: nothing is imported
    const b = await api(url, { method: "POST", token: adminKey, json: { batchId: "b1", rows: [{ line: 2, secret: "AAAA-1111" }, { line: 3, secret: " AAAA-1111 " }, { line: 4, secret: "BBBB-2222" }] } });
    expect(b.body).toMatchObject({ inserted: 2, rejected: 1, errors: [{ line: 3, code: "duplicate_in_file" }] });
    const c = await api(url, { method: "POST", token: adminKey, json: { batchId: "b1", rows: [{ line: 5, secret: "BBBB-2222" }] } });
    expect(c.body.errors).toEqual([{ line: 5, code: "duplicate_in_file", message: expect.any(String) }]);
    const d = await api(url, { method: "POST", token: adminKey, json: { batchId: "b2", rows: [{ line: 2, secret: "AAAA-1111" }, { line: 3, secret: "CCCC-3333", reusable: true }] } });
    expect(d.body).toMatchObject({ inserted: 1, errors: [{ line: 2, code: "duplicate_in_stock" }] });
    const rows = await env.DB.prepare("SELECT secret_enc, secret_hash FROM card_keys WHERE tenant_id = ?").bind(tenant.id).all<{ secret_enc: string; secret_hash: string }>();
    expect(rows.results.every((r) => r.secret_enc.startsWith("v1.") && !r.secret_enc.includes("AAAA") && r.secret_hash.length === 64)).toBe(true);
  });

  it("key import: the same key in other letter case is the same key (in the file, across batches, against stock folded by the cron)", async () => {
    const { adminKey, tenant } = await createTenant();
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "游戏点卡", priceCents: 100, faceValueCents: 100 } });
    const url = `/products/${p.body.id}/keys/import`;
    const a = await api(url, { method: "POST", token: adminKey, json: { batchId: "c1", rows: [{ line: 2, secret: "abcd-1111" }, { line: 3, secret: "ABCD-1111" }, { line: 4, secret: "Efgh-2222" }] } });
    expect(a.body).toMatchObject({ inserted: 2, errors: [{ line: 3, code: "duplicate_in_file", message: "same key as line 2 in other letter case" }] });
    const b = await api(url, { method: "POST", token: adminKey, json: { batchId: "c1", rows: [{ line: 5, secret: "EFGH-2222" }] } });
    expect(b.body.errors).toEqual([{ line: 5, code: "duplicate_in_file", message: "the same key in other letter case appears earlier in this import" }]);
    const c = await api(url, { method: "POST", token: adminKey, json: { batchId: "c2", rows: [{ line: 2, secret: "ABCD-1111" }, { line: 3, secret: "abcd-1111" }] } });
    expect(c.body).toMatchObject({ inserted: 0, errors: [{ line: 2, code: "duplicate_in_stock", message: "this key in other letter case is already in stock" }, { line: 3, code: "duplicate_in_file", message: "same key as line 2 in other letter case" }] });

    // Keys stored without a fold (before the column, or from a supplier): the cron folds them; a pair already in stock
    // keeps both rows (one is marked, not refused) and is logged by id.
    const seal = async (secret: string) => [await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, secret), await secretHash(env.CARD_KEY_ENCRYPTION_KEY, tenant.id, secret)];
    for (const [id, secret] of [["ck_old_fold_1", "OLD-KEY-9"], ["ck_old_fold_2", "old-key-9"], ["ck_old_fold_3", "Lone-Key-8"]]) {
      const [enc, hash] = await seal(secret!);
      await env.DB.prepare("INSERT INTO card_keys (id, tenant_id, product_id, secret_enc, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, '2000-01-01T00:00:00.000Z')").bind(id, tenant.id, p.body.id, enc, hash).run();
    }
    await env.DB.prepare("INSERT INTO card_keys (id, tenant_id, product_id, secret_enc, secret_hash, created_at) VALUES ('ck_old_fold_4', ?, ?, 'x', ?, '2000-01-01T00:00:00.000Z')").bind(tenant.id, p.body.id, `h_${tenant.id}`).run();
    while (await foldStoredKeys(env)) { /* every page, other tenants' keys included */ }
    const folds = await env.DB.prepare("SELECT id, fold_hash FROM card_keys WHERE tenant_id = ? AND id LIKE 'ck_old_fold_%' ORDER BY id").bind(tenant.id).all<{ id: string; fold_hash: string }>();
    expect(folds.results.map((r) => r.fold_hash.replace(/^(clash|unreadable):.*/, "$1"))).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), "clash", expect.stringMatching(/^[0-9a-f]{64}$/), "unreadable"]);
    const d = await api(url, { method: "POST", token: adminKey, json: { batchId: "c3", rows: [{ line: 2, secret: "LONE-KEY-8" }] } });
    expect(d.body).toMatchObject({ inserted: 0, errors: [{ line: 2, code: "duplicate_in_stock", message: "this key in other letter case is already in stock" }] });
  });

  it("coupon and bundle products: codes generated, validity N days, bundle delivers one voucher per item", async () => {
    const { adminKey, tenant } = await createTenant();
    const mk = async (json: any) => (await api("/products", { method: "POST", token: adminKey, json: { priceCents: 0, faceValueCents: 1000, scope: "全场通用", validity: FUTURE, ...json } })).body;
    const coupon = await mk({ kind: "coupon", name: "满100减20券", priceCents: 100, validity: { kind: "relative", days: 7 }, stockTotal: 5, config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } });
    const key = await mk({ kind: "card_key", name: "音乐会员月卡", priceCents: 1000 });
    await api(`/products/${key.id}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: "MUSIC-KEY-1" }] } });
    const bundle = await mk({ kind: "bundle", name: "视听双享包", priceCents: 2500, config: { bundle: { items: [{ productId: coupon.id, quantity: 1 }, { productId: key.id, quantity: 1 }] } } });
    for (const id of [coupon.id, key.id, bundle.id]) {
      expect((await api(`/products/${id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
    }
    const o = await shop(tenant.slug, "/orders", { method: "POST", idem: "bundle-0001", json: { productId: bundle.id } });
    expect(o.status).toBe(201);
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const mine = await shop(tenant.slug, "/vouchers", { cookie: o.cookie });
    expect(mine.body.vouchers).toHaveLength(2);
    const c = mine.body.vouchers.find((v: any) => v.kind === "coupon");
    expect(c.secret).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){3}$/);
    expect(Date.parse(c.validTo) - Date.parse(c.validFrom)).toBe(7 * 86_400_000);
    expect(mine.body.vouchers.find((v: any) => v.kind === "card_key").secret).toBe("MUSIC-KEY-1");
    // the bundle took the only key: the key product is now sold out, the coupon counter moved
    expect((await shop(tenant.slug, "/orders", { method: "POST", idem: "key-after", json: { productId: key.id } })).status).toBe(409);
    expect((await api(`/products/${coupon.id}/stock`, { token: adminKey })).body).toMatchObject({ available: 4, delivered: 1 });
    // The shop's list reads every product's stock in one round trip: it shows what each product's own read shows.
    const list = (await shop(tenant.slug, "/products")).body.products as { id: string; stock: unknown }[];
    const stockOf = Object.fromEntries(list.map((p) => [p.id, p.stock]));
    expect(stockOf[key.id]).toEqual({ available: 0, reserved: 0, delivered: 1, total: 1 });
    expect(stockOf[coupon.id]).toMatchObject({ available: 4, delivered: 1 });
    expect(stockOf[bundle.id]).toMatchObject({ available: 0 });
    for (const id of [coupon.id, key.id, bundle.id]) expect((await shop(tenant.slug, `/products/${id}`)).body.stock).toEqual(stockOf[id]);
    expect((await api("/products", { token: adminKey })).body.products.map((p: any) => p.stock)).toEqual(list.map((p) => p.stock));
  });
});

describe("reusable (loop) keys", { timeout: 60_000 }, () => {
  it("one loop key serves every buyer and stays available", async () => {
    const { adminKey, tenant } = await createTenant();
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "新手礼包", priceCents: 100, faceValueCents: 100, validity: FUTURE, scope: "游戏内" } });
    await api(`/products/${p.body.id}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: "WELCOME-2026", reusable: true }] } });
    await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const orders = await Promise.all([1, 2, 3].map((i) => shop(tenant.slug, "/orders", { method: "POST", idem: `loop-${i}-buyer`, json: { productId: p.body.id } })));
    expect(orders.every((o) => o.status === 201)).toBe(true);
    for (const o of orders) expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const secrets = await Promise.all(orders.map(async (o) => (await shop(tenant.slug, "/vouchers", { cookie: o.cookie })).body.vouchers[0].secret));
    expect(secrets).toEqual(["WELCOME-2026", "WELCOME-2026", "WELCOME-2026"]);
    const key = await env.DB.prepare("SELECT status FROM card_keys WHERE tenant_id = ?").bind(tenant.id).first<{ status: string }>();
    expect(key!.status).toBe("available");
  });
});
