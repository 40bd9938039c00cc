import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { coordinatorOf, shardOf } from "../../worker/services/campaigns";
import { createTenant } from "./helpers";
import { claim, evictCampaign, liveCampaign, settleAll } from "./campaign-helpers";

async function couponProduct(tenantId: string) {
  const id = `prd_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    "INSERT INTO products (id, tenant_id, kind, name, scope_text, price_cents, face_value_cents, validity_kind, valid_days, status) VALUES (?, ?, 'coupon', '满50减10券', '全场通用', 0, 1000, 'relative', 30, 'published')",
  ).bind(id, tenantId).run();
  return id;
}

describe("campaign claims on Durable Objects", { timeout: 60_000 }, () => {
  it("never oversells: 300 simultaneous claims on 40 units across 4 shards, with an eviction in the middle", async () => {
    const { tenant, adminKey } = await createTenant();
    const productId = await couponProduct(tenant.id);
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 40, shards: 4 });
    const first = Array.from({ length: 150 }, (_, i) => claim(c.id, `u-a-${i}`));
    await new Promise((r) => setTimeout(r, 5));
    await evictCampaign(c.id, 4);
    const second = Array.from({ length: 150 }, (_, i) => claim(c.id, `u-b-${i}`));
    const all = await Promise.all([...first, ...second]);
    const ok = all.filter((r) => r.status === 200);
    const soldOut = all.filter((r) => r.status === 409 && r.body.error.code === "sold_out");
    expect(ok.length).toBe(40);
    expect(soldOut.length).toBe(260);
    expect(new Set(ok.map((r) => r.body.claimId)).size).toBe(40);

    // Stock accounting after another eviction: nothing left anywhere, claims persisted exactly once.
    await evictCampaign(c.id, 4);
    const live = await coordinatorOf(env, c.id).live();
    expect(live!.remaining).toEqual({ item: 0 });
    let stored = 0;
    for (let i = 0; i < 4; i++) {
      stored += await runInDurableObject(shardOf(env, c.id, i), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claims").one().n);
    }
    expect(stored).toBe(40);

    // Every won claim becomes exactly one voucher, also when the outbox runs again after a crash.
    await settleAll(c.id, 4);
    const count = () => env.DB.prepare("SELECT count(*) AS n FROM vouchers WHERE tenant_id = ? AND campaign_id = ?").bind(tenant.id, c.id).first<{ n: number }>();
    expect((await count())!.n).toBe(40);
    // Every claim's event went to the Queue (the outbox is empty).
    for (let i = 0; i < 4; i++) expect(await shardOf(env, c.id, i).pendingCount()).toBe(0);
    for (let i = 0; i < 4; i++) {
      // A consumer crash between the voucher insert and settling the claim: every fact forwarded again, unsettled.
      await runInDurableObject(shardOf(env, c.id, i), async (_o, state) => {
        state.storage.sql.exec("UPDATE claims SET pending = 3, awaiting = 1, next_at = 0");
        await state.storage.setAlarm(Date.now());
      });
    }
    await evictCampaign(c.id, 4);
    await settleAll(c.id, 4);
    expect((await count())!.n).toBe(40);
  });

  it("turns each won flash-sale claim into exactly one order through the claims consumer, also when the facts are forwarded again", async () => {
    const { tenant, adminKey } = await createTenant();
    const productId = await couponProduct(tenant.id);
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 12, shards: 2 });
    const res = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(c.id, `f-${i}`)));
    expect(res.filter((r) => r.status === 200).length).toBe(12);
    await evictCampaign(c.id, 2);
    await settleAll(c.id, 2);
    const orders = () =>
      env.DB.prepare("SELECT count(*) AS n, sum(amount_cents) AS cents FROM orders WHERE tenant_id = ? AND campaign_id = ? AND source = ?")
        .bind(tenant.id, c.id, `flash:${c.id}`)
        .first<{ n: number; cents: number }>();
    expect(await orders()).toEqual({ n: 12, cents: 12 * 990 });
    for (let i = 0; i < 2; i++) {
      // A shard crash between the Queue send and clearing its bits: every fact forwarded a second time.
      await runInDurableObject(shardOf(env, c.id, i), async (_o, state) => {
        state.storage.sql.exec("UPDATE claims SET pending = 3, next_at = 0");
        await state.storage.setAlarm(Date.now());
      });
    }
    await evictCampaign(c.id, 2);
    await settleAll(c.id, 2);
    expect(await orders()).toEqual({ n: 12, cents: 12 * 990 });
  });

  it("keeps the per-user limit exact under a race of one user's concurrent claims", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "秒杀", productId: await couponProduct(tenant.id), priceCents: 990, stock: 1000, perUserLimit: 2, shards: 3 });
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) => claim(c.id, "racer", { ip: `10.1.0.${i}` })));
    expect(res.filter((r) => r.status === 200).length).toBe(2);
    for (const r of res.filter((x) => x.status !== 200)) {
      expect([409, 429]).toContain(r.status);
      if (r.status === 409) expect(r.body.error.code).toBe("limit_reached");
      if (r.status === 429) expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // The shard that met this user first in memory (no read for a new user) reads them back after an eviction.
    await evictCampaign(c.id, 3);
    const after = await claim(c.id, "racer", { ip: "10.1.1.1" });
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe("limit_reached");
  });

  it("enforces the daily limit and returns the same result for a retried request id", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "每日秒杀", productId: await couponProduct(tenant.id), priceCents: 100, stock: 10, perUserLimit: 3, perUserDailyLimit: 1, shards: 2 });
    const a = await claim(c.id, "daily", { requestId: "req-aaaaaaaa" });
    const again = await claim(c.id, "daily", { requestId: "req-aaaaaaaa" });
    const b = await claim(c.id, "daily", { requestId: "req-bbbbbbbb" });
    expect(a.status).toBe(200);
    expect(again.body.claimId).toBe(a.body.claimId);
    expect(b.status).toBe(409);
    expect(b.body.error.code).toBe("daily_limit_reached");
  });

  it("rate limits one account with 429 and Retry-After", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "限流", productId: await couponProduct(tenant.id), stock: 100, perUserLimit: 100, shards: 1 });
    const res = [];
    for (let i = 0; i < 14; i++) res.push(await claim(c.id, "spammer"));
    const limited = res.filter((r) => r.status === 429);
    expect(res.filter((r) => r.status === 200).length).toBe(10);
    expect(limited.length).toBe(4);
    expect(limited[0]!.body.error.code).toBe("rate_limited");
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("moves stock between shards: a single busy shard sells the whole pool", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "搬库存", productId: await couponProduct(tenant.id), stock: 64, shards: 8 });
    // Find 80 users homed on the same shard.
    const { homeShard } = await import("../../worker/domain/campaign-rules");
    const users: string[] = [];
    for (let i = 0; users.length < 80; i++) if (homeShard(`s-${i}`, 8) === 3) users.push(`s-${i}`);
    // Warm up other shards so they hold stock that must be moved back.
    const others: string[] = [];
    for (let i = 0; others.length < 7; i++) if (homeShard(`o-${i}`, 8) !== 3 && !others.some((o) => homeShard(o, 8) === homeShard(`o-${i}`, 8))) others.push(`o-${i}`);
    await Promise.all(others.map((u) => claim(c.id, u)));
    const res = await Promise.all(users.map((u) => claim(c.id, u)));
    expect(res.filter((r) => r.status === 200).length).toBe(64 - 7);
    expect(res.filter((r) => r.status === 409).length).toBe(80 - 57);
  });

  it("refuses changes to stock or odds once started, allows renaming", async () => {
    const { adminKey, tenant } = await createTenant();
    const { api } = await import("./helpers");
    const early = await liveCampaign(adminKey, { kind: "flash_sale", name: "x", productId: await couponProduct(tenant.id), stock: 5 }, { wait: false, startInMs: 600_000 });
    const before = await api(`/campaigns/${early.id}`, { method: "PATCH", token: adminKey, json: { stock: 9 } });
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(before.body.stock).toBe(9);
    // Brought forward to now (no wall-clock wait: a slow machine must not start it before the first change).
    const now = await api(`/campaigns/${early.id}`, { method: "PATCH", token: adminKey, json: { startsAt: new Date().toISOString() } });
    expect(now.status, JSON.stringify(now.body)).toBe(200);
    await claim(early.id, "first"); // the first claim freezes the definition
    const after = await api(`/campaigns/${early.id}`, { method: "PATCH", token: adminKey, json: { stock: 900 } });
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe("campaign_started");
    const renamed = await api(`/campaigns/${early.id}`, { method: "PATCH", token: adminKey, json: { name: "新名字" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("新名字");
    expect(renamed.body.stock).toBe(9);
  });

  it("allows the tenant's origins on public campaign routes (CORS preflight)", async () => {
    const { PLATFORM, api } = await import("./helpers");
    const { adminKey, tenant } = await createTenant();
    await api("/tenant", { method: "PATCH", token: adminKey, json: { allowedOrigins: ["https://brand.example"] } });
    void PLATFORM;
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "x", productId: await couponProduct(tenant.id), stock: 5 }, { wait: false });
    const pre = (origin: string) =>
      api(`/public/campaigns/${c.id}/claims`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    expect((await pre("https://brand.example")).headers.get("access-control-allow-origin")).toBe("https://brand.example");
    expect((await pre("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
    const post = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: { origin: "https://brand.example" }, json: { userId: "x" } });
    expect(post.headers.get("access-control-allow-origin")).toBe("https://brand.example");
    void tenant;
  });

  it("answers bad claims with the error shape and field paths, changing nothing", async () => {
    const { api } = await import("./helpers");
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "x", productId: await couponProduct(tenant.id), stock: 5 });
    const bad = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", json: { userId: "" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("json.userId");
    expect(bad.headers.get("x-request-id")).toBe(bad.body.error.requestId);
    // A field the contract does not name (a misspelt requestId, say) is refused, not ignored.
    const extra = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", json: { userId: "u1", requestID: "rq-extra-0001" } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.issues[0]).toMatchObject({ path: "json.requestID", code: "unrecognized_keys" });
    expect(extra.body.error.message).toContain("requestID");
    const junk = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(junk.status).toBe(400);
    expect(junk.body.error.code).toBe("invalid_body");
    const missing = await api(`/public/campaigns/cmp_missing/claims`, { method: "POST", json: { userId: "u1" } });
    expect(missing.status).toBe(404);
    const live = await api(`/public/campaigns/${c.id}/live`);
    expect(live.body.remaining).toEqual({ item: 5 });
  });
  it("answers a sold-out campaign before reading the body or the session: 409 sold_out, also for a malformed body, changing nothing", async () => {
    const { api } = await import("./helpers");
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "x", productId: await couponProduct(tenant.id), stock: 1 });
    const won = await claim(c.id, "u-first", { requestId: "rq-first-0001" });
    expect(won.status).toBe(200);
    expect((await claim(c.id, "u-late")).body.error.code).toBe("sold_out");
    // The winner's answer was lost and they retry with the same requestId while the sell-out is known: the same
    // answer, not "sold out". Someone else sending that requestId is still sold out.
    const retried = await claim(c.id, "u-first", { requestId: "rq-first-0001" });
    expect([retried.status, retried.body.claimId]).toEqual([200, won.body.claimId]);
    expect((await claim(c.id, "u-copycat", { requestId: "rq-first-0001" })).body.error.code).toBe("sold_out");
    const junk = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(junk.status).toBe(409);
    expect(junk.body.error.code).toBe("sold_out");
    expect(junk.headers.get("x-request-id")).toBe(junk.body.error.requestId);
    const anonymous = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", json: {} });
    expect([anonymous.status, anonymous.body.error.code]).toEqual([409, "sold_out"]);
    // A malformed body to a campaign that does not exist: the campaign is refused first.
    const missing = await api(`/public/campaigns/cmp_missing/claims`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(missing.status).toBe(404);
    const live = await api(`/public/campaigns/${c.id}/live`);
    expect(live.body.remaining).toEqual({ item: 0 });
    let stored = 0;
    for (let i = 0; i < 4; i++) {
      stored += await runInDurableObject(shardOf(env, c.id, i), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claims").one().n);
    }
    expect(stored).toBe(1);
  });
  it("refuses a campaign that hands out a product the brand does not have (unknown or another brand's)", async () => {
    const { adminKey } = await createTenant();
    const other = await createTenant();
    const foreign = await couponProduct(other.tenant.id);
    const { api } = await import("./helpers");
    const startsAt = new Date(Date.now() + 60_000).toISOString();
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    for (const productId of ["prd_nope", foreign]) {
      const res = await api("/campaigns", { method: "POST", token: adminKey, json: { kind: "flash_sale", name: "x", productId, stock: 5, startsAt, endsAt } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("unknown_product");
      expect(res.body.error.issues[0].path).toBe("json.productId");
    }
    const prize = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "x", prizes: [{ id: "a", name: "a", stock: 1, weight: 1, productId: foreign }], startsAt, endsAt },
    });
    expect(prize.status).toBe(400);
    expect(prize.body.error.issues[0].path).toBe("json.prizes.0.productId");
  });
});
