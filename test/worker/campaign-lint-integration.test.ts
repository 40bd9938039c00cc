import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claim, couponProductOf, liveCampaign } from "./campaign-helpers";
import { api, createTenant } from "./helpers";

const inAnHour = () => ({ startsAt: new Date(Date.now() + 3_600_000).toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString() });

async function lottery(adminKey: string, productId: string, extra: Record<string, unknown> = {}) {
  return api("/campaigns", {
    method: "POST", token: adminKey,
    json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "周末大转盘", description: "每人每天免费抽 1 次", ...inAnHour(), drawsPerDay: 1, noPrizeWeight: 50, perUserLimit: 1,
      prizes: [{ id: "p1", name: "5元代金券", productId, stock: 10, weight: 10 }], ...extra },
  });
}

describe("campaign copy and prize lint", () => {
  it("refuses promised wins, absolute claims and share-gating with each field and position, and creates nothing", async () => {
    const { tenant, adminKey } = await createTenant("Lint");
    const productId = await couponProductOf(tenant.id);
    const res = await lottery(adminKey, productId, {
      name: "100%中奖大转盘",
      description: "全网最低价！分享后才能抽奖",
      prizes: [{ id: "p1", name: "必中好礼", productId, stock: 10, weight: 10 }],
      tasks: [{ id: "share", name: "转发给好友才可参与", extraChances: 1 }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("campaign_copy_refused");
    expect(res.body.error.issues.map((i: any) => [i.path, i.code])).toEqual([
      ["json.description", "banned_phrase"],
      ["json.description", "share_gated"],
      ["json.name", "promised_win"],
      ["json.prizes.0.name", "promised_win"],
      ["json.tasks.0.name", "share_gated"],
    ]);
    expect(res.body.error.issues[1].message).toContain("分享后才能抽奖");
    expect(res.body.error.issues[1].message).toContain("at 6");
    // Every finding carries its position as a number too.
    expect(res.body.error.issues.map((i: any) => i.position)).toEqual([0, 6, 0, 0, 0]);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("refuses an offer or prize whose product copy a publish would refuse (a draft product cannot carry banned words onto a live page)", async () => {
    const { tenant, adminKey } = await createTenant("Lint product");
    const made = await api("/products", {
      method: "POST", token: adminKey,
      json: { kind: "coupon", name: "全网最低价神券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } },
    });
    expect(made.body.status).toBe("draft");
    expect((await api(`/products/${made.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).body.error.code).toBe("not_publishable");
    const offer = { kind: "coupon_claim", name: "免费领券", productId: made.body.id, priceCents: 0, stock: 5, perUserLimit: 1, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() };
    const claimRes = await api("/campaigns", { method: "POST", token: adminKey, json: offer });
    expect(claimRes.status).toBe(422);
    expect(claimRes.body.error).toMatchObject({ code: "campaign_product_copy_refused", requestId: expect.any(String), issues: [{ path: "json.productId", code: "banned_phrase" }] });
    expect(claimRes.body.error.issues[0].message).toContain("全网最低价");
    const prize = await lottery(adminKey, made.body.id);
    expect(prize.status).toBe(422);
    expect(prize.body.error.issues.map((i: any) => [i.path, i.code])).toEqual([["json.prizes.0.productId", "banned_phrase"]]);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>())!.n).toBe(0);
    // A clean campaign cannot be switched onto it either; once the product's words are fixed it may be offered.
    const clean = await couponProductOf(tenant.id);
    const ok = await api("/campaigns", { method: "POST", token: adminKey, json: { ...offer, productId: clean, ...inAnHour() } });
    expect(ok.status).toBe(201);
    const moved = await api(`/campaigns/${ok.body.id}`, { method: "PATCH", token: adminKey, json: { productId: made.body.id } });
    expect([moved.status, moved.body.error?.code]).toEqual([422, "campaign_product_copy_refused"]);
    expect((await api(`/products/${made.body.id}`, { method: "PATCH", token: adminKey, json: { name: "5元无门槛券" } })).status).toBe(200);
    expect((await api("/campaigns", { method: "POST", token: adminKey, json: offer })).status).toBe(201);
    // Offered now (still a draft): its copy cannot take banned words afterwards either; other edits go through.
    const relabel = await api(`/products/${made.body.id}`, { method: "PATCH", token: adminKey, json: { scope: "全场通用，国家级品质" } });
    expect(relabel.status).toBe(422);
    expect(relabel.body.error).toMatchObject({ code: "not_publishable", issues: [{ code: "banned_phrase" }] });
    expect((await env.DB.prepare("SELECT scope_text AS s FROM products WHERE id = ?").bind(made.body.id).first<{ s: string }>())!.s).toBe("全场");
    expect((await api(`/products/${made.body.id}`, { method: "PATCH", token: adminKey, json: { scope: "全场通用" } })).status).toBe(200);
    // A draft no campaign offers is still free to hold any words until it is published.
    const free = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "草稿", priceCents: 0, faceValueCents: 500, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
    expect((await api(`/products/${free.body.id}`, { method: "PATCH", token: adminKey, json: { name: "全网最低价草稿" } })).status).toBe(200);
  });

  it("refuses an offer whose product does not say how long it lasts or where it can be used, and keeps an offered draft saying it", async () => {
    const { tenant, adminKey } = await createTenant("Terms");
    const body = { kind: "coupon", name: "5元券", priceCents: 0, faceValueCents: 500, config: { coupon: { thresholdCents: 0, discountCents: 500 } } };
    const bare = (await api("/products", { method: "POST", token: adminKey, json: body })).body.id as string;
    const offer = { kind: "coupon_claim", name: "免费领券", productId: bare, priceCents: 0, stock: 5, perUserLimit: 1, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() };
    const refused = await api("/campaigns", { method: "POST", token: adminKey, json: offer });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: "campaign_product_incomplete", requestId: expect.any(String) });
    expect(refused.body.error.issues.map((i: any) => [i.path, i.code])).toEqual([["json.productId", "missing_validity"], ["json.productId", "missing_scope"]]);
    // A lottery prize without a scope is refused too (its validity is part of the lottery's disclosure).
    const prize = await lottery(adminKey, bare);
    expect(prize.body.error.issues.map((i: any) => [i.path, i.code])).toEqual([["json.prizes.0.productId", "missing_scope"]]);
    const flash = await api("/campaigns", { method: "POST", token: adminKey, json: { ...offer, kind: "flash_sale", priceCents: 100 } });
    expect(flash.body.error.code).toBe("campaign_product_incomplete");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>())!.n).toBe(0);
    // Given both (still a draft), it may be offered; then it cannot lose them while the campaign runs.
    expect((await api(`/products/${bare}`, { method: "PATCH", token: adminKey, json: { validity: { kind: "relative", days: 30 }, scope: "全场通用" } })).status).toBe(200);
    expect((await api("/campaigns", { method: "POST", token: adminKey, json: offer })).status).toBe(201);
    const blank = await api(`/products/${bare}`, { method: "PATCH", token: adminKey, json: { scope: " " } });
    expect(blank.status).toBe(422);
    expect(blank.body.error.issues).toEqual([expect.objectContaining({ path: "scope", code: "missing_scope" })]);
    expect((await api(`/products/${bare}`, { token: adminKey })).body.scope).toBe("全场通用");
  });

  it("refuses an offer or prize whose product was withdrawn (archived), and takes it again once it is published", async () => {
    const { tenant, adminKey } = await createTenant("Archived product");
    const id = await couponProductOf(tenant.id);
    expect((await api(`/products/${id}/status`, { method: "POST", token: adminKey, json: { status: "archived" } })).status).toBe(200);
    const offer = { kind: "coupon_claim", name: "免费领券", productId: id, priceCents: 0, stock: 5, perUserLimit: 1, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() };
    const res = await api("/campaigns", { method: "POST", token: adminKey, json: offer });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "product_archived", requestId: expect.any(String), issues: [{ path: "json.productId", code: "product_archived" }] });
    const prize = await lottery(adminKey, id);
    expect([prize.status, prize.body.error.issues.map((i: any) => i.path)]).toEqual([422, ["json.prizes.0.productId"]]);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>())!.n).toBe(0);
    await env.DB.prepare("UPDATE products SET status = 'published' WHERE id = ?").bind(id).run(); // the helper's product has no scope to publish with
    expect((await api("/campaigns", { method: "POST", token: adminKey, json: offer })).status).toBe(201);
  });

  it("refuses a prize worth more than the 50,000-yuan cap of prize promotions", async () => {
    const { tenant, adminKey } = await createTenant("Cap");
    const car = await couponProductOf(tenant.id, "汽车");
    await env.DB.prepare("UPDATE products SET face_value_cents = 6000000 WHERE id = ?").bind(car).run();
    const res = await lottery(adminKey, car);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "prize_above_legal_cap", issues: [{ path: "json.prizes.0.productId", code: "prize_above_legal_cap" }] });
    await env.DB.prepare("UPDATE products SET face_value_cents = 5000000 WHERE id = ?").bind(car).run();
    expect((await lottery(adminKey, car)).status).toBe(201);
  });

  it("refuses full-width, spaced and zero-width claims with the same 422 as the half-width form, on create and on edit", async () => {
    const { tenant, adminKey } = await createTenant("Lint NFKC");
    const productId = await couponProductOf(tenant.id);
    const refused = async (name: string) => {
      const res = await lottery(adminKey, productId, { name });
      expect(res.status, name).toBe(422);
      expect(res.body.error.code, name).toBe("campaign_copy_refused");
      return res.body.error.issues.map((i: any) => [i.path, i.code, i.position]);
    };
    for (const [wide, half] of [["１００％中奖", "100%中奖"], ["ＮＯ．１抽奖", "NO.1抽奖"], ["国 家 级大奖", "国家级大奖"], ["第 一", "第一"]] as const) {
      expect(await refused(wide), wide).toEqual(await refused(half));
    }
    const res = await lottery(adminKey, productId, { name: "周末抽奖", description: "ＮＯ．１好礼" });
    expect(res.body.error.issues[0].message).toContain('"ＮＯ．１" (NO.1) at 0');
    const n = await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
    const created = await lottery(adminKey, productId);
    expect(created.status).toBe(201);
    const edit = await api(`/campaigns/${created.body.id}`, { method: "PATCH", token: adminKey, json: { name: "百分之百\u200B中奖", description: "国\u3000家\u3000级" } });
    expect(edit.status).toBe(422);
    expect(edit.body.error.issues.map((i: any) => [i.path, i.code])).toEqual([["json.description", "banned_phrase"], ["json.name", "promised_win"]]);
    expect((await api(`/campaigns/${created.body.id}`, { token: adminKey })).body.name).toBe("周末大转盘");
  });

  it("lints edits too: sharing offered as an extra chance passes, sharing required does not", async () => {
    const { tenant, adminKey } = await createTenant("Edit");
    const productId = await couponProductOf(tenant.id);
    const created = await lottery(adminKey, productId, { tasks: [{ id: "share", name: "分享得额外抽奖机会", extraChances: 1 }] });
    expect(created.status).toBe(201);
    const bad = await api(`/campaigns/${created.body.id}`, { method: "PATCH", token: adminKey, json: { description: "邀请好友后才能参与抽奖" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues[0]).toMatchObject({ path: "json.description", code: "share_gated" });
    const ok = await api(`/campaigns/${created.body.id}`, { method: "PATCH", token: adminKey, json: { description: "分享给好友可多抽一次，不分享也能抽" } });
    expect(ok.status).toBe(200);
  });

  it("refuses a lottery without organiser or prize validity, listing each missing field; the rules text is linted", async () => {
    const { tenant, adminKey } = await createTenant("Disclose");
    const productId = await couponProductOf(tenant.id);
    const undated = await couponProductOf(tenant.id, "无期限券");
    await env.DB.prepare("UPDATE products SET validity_kind = NULL, valid_days = NULL WHERE id = ?").bind(undated).run();
    const res = await lottery(adminKey, productId, {
      organiser: null,
      prizes: [{ id: "p1", name: "5元代金券", productId, stock: 10, weight: 10 }, { id: "p2", name: "无期限券", productId: undated, stock: 5, weight: 1 }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("lottery_disclosure_missing");
    expect(res.body.error.issues.map((i: any) => i.path)).toEqual(["json.organiser.name", "json.organiser.contact", "json.prizes.1.productId"]);
    const blankContact = await lottery(adminKey, productId, { organiser: { name: "某品牌", contact: " " } });
    expect(blankContact.body.error.issues.map((i: any) => i.path)).toEqual(["json.organiser.contact"]);
    const rules = await lottery(adminKey, productId, { rules: "参与规则：先分享给好友才能抽奖，奖品 100%中奖" });
    expect(rules.status).toBe(422);
    expect(rules.body.error.issues.map((i: any) => [i.path, i.code, i.position])).toEqual([["json.rules", "share_gated", 6], ["json.rules", "promised_win", 19]]);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
    // Complete, it is created; clearing the organiser before the start is refused like a create.
    const ok = await lottery(adminKey, productId, { rules: "每人每天免费抽 1 次，奖品发放到我的卡券" });
    expect(ok.status).toBe(201);
    expect(ok.body.organiser).toEqual({ name: "测试品牌", contact: "400-000-0000" });
    const cleared = await api(`/campaigns/${ok.body.id}`, { method: "PATCH", token: adminKey, json: { organiser: null } });
    expect(cleared.status).toBe(422);
    expect(cleared.body.error.code).toBe("lottery_disclosure_missing");
    // The public page gets the organiser, the odds and each prize's validity.
    const pub = await api(`/public/campaigns/${ok.body.id}`);
    expect(pub.body.organiser.name).toBe("测试品牌");
    expect(pub.body.odds.length).toBe(2);
    expect(pub.body.prizeValidity).toEqual([{ prizeId: "p1", validity: { kind: "relative", days: 30 } }]);
  });
});

describe("a lottery starts in the future, also when its start is edited", { timeout: 60_000 }, () => {
  const lotteryBody = (productId: string) => ({
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "改期抽奖", description: "每人每天免费抽 1 次", drawsPerDay: 1, noPrizeWeight: 50, perUserLimit: 1,
    prizes: [{ id: "p1", name: "5元代金券", productId, stock: 10, weight: 10 }],
  });

  it("refuses moving a scheduled lottery's start into the past with starts_in_past, as on create; a future start may move", async () => {
    const { tenant, adminKey } = await createTenant("Reschedule");
    const productId = await couponProductOf(tenant.id);
    const past = new Date(Date.now() - 60_000).toISOString();
    const createdPast = await api("/campaigns", { method: "POST", token: adminKey, json: { ...lotteryBody(productId), startsAt: past, endsAt: new Date(Date.now() + 3_600_000).toISOString() } });
    expect(createdPast.status).toBe(400);
    expect(createdPast.body.error.code).toBe("starts_in_past");

    const c = await lottery(adminKey, productId);
    expect(c.status).toBe(201);
    for (const startsAt of [past, new Date().toISOString()]) {
      const res = await api(`/campaigns/${c.body.id}`, { method: "PATCH", token: adminKey, json: { startsAt } });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toMatchObject({ code: "starts_in_past", message: createdPast.body.error.message });
      expect(res.body.error.requestId).toBeTruthy();
    }
    const after = await api(`/campaigns/${c.body.id}`, { token: adminKey });
    expect(after.body).toMatchObject({ phase: "scheduled", startsAt: c.body.startsAt, seedCommitment: c.body.seedCommitment });
    // Public readers see it unchanged too.
    expect((await api(`/public/campaigns/${c.body.id}`)).body.phase).toBe("scheduled");

    const later = { startsAt: new Date(Date.now() + 2 * 3_600_000).toISOString(), endsAt: new Date(Date.now() + 3 * 3_600_000).toISOString() };
    const moved = await api(`/campaigns/${c.body.id}`, { method: "PATCH", token: adminKey, json: later });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ ...later, phase: "scheduled" });
  });

  it("after the start, startsAt stays locked (campaign_started), whether moved back or forward", async () => {
    const { tenant, adminKey } = await createTenant("Reschedule live");
    const c = await liveCampaign(adminKey, lotteryBody(await couponProductOf(tenant.id)));
    expect((await claim(c.id, "first")).status).toBe(200);
    for (const startsAt of [new Date(Date.now() - 3_600_000).toISOString(), new Date(Date.now() + 60_000).toISOString()]) {
      const res = await api(`/campaigns/${c.id}`, { method: "PATCH", token: adminKey, json: { startsAt } });
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error.code).toBe("campaign_started");
    }
    expect((await api(`/campaigns/${c.id}`, { token: adminKey })).body.startsAt).toBe(c.startsAt);
  });
});
