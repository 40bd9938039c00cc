import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";
import { claim, couponProductOf, evictCampaign, liveCampaign, sessionHeader } from "./campaign-helpers";

describe("campaign console actions: pause, duplicate, preview", { timeout: 60_000 }, () => {
  it("a paused campaign refuses claims on every shard with campaign_paused, even after an eviction; resume reopens it", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "暂停测试", productId: await couponProductOf(tenant.id), stock: 50, shards: 4 });
    expect((await claim(c.id, "u-before")).status).toBe(200);

    const paused = await api(`/campaigns/${c.id}/pause`, { method: "POST", token: adminKey });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body.paused).toBe(true);
    await evictCampaign(c.id, 4);
    const refused = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(c.id, `u-p-${i}`)));
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("campaign_paused");
    }
    expect((await api(`/campaigns/${c.id}`, { token: adminKey })).body.paused).toBe(true);

    const resumed = await api(`/campaigns/${c.id}/resume`, { method: "POST", token: adminKey });
    expect(resumed.body.paused).toBe(false);
    expect((await claim(c.id, "u-after")).status).toBe(200);
  });

  it("a shard that first starts while paused refuses claims (the flag reaches it before its config)", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "未开始即暂停", productId: await couponProductOf(tenant.id), stock: 5, shards: 2 }, { wait: false, startInMs: 1500 });
    expect((await api(`/campaigns/${c.id}/pause`, { method: "POST", token: adminKey })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(c.startsAt) - Date.now() + 50)));
    const r = await claim(c.id, "late");
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("campaign_paused");
  });

  it("duplicates a campaign as a paused draft with a new id, the same definition and a future window", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "双十一秒杀", productId: await couponProductOf(tenant.id), stock: 30, priceCents: 990, perUserLimit: 2 });
    const dup = await api(`/campaigns/${c.id}/duplicate`, { method: "POST", token: adminKey });
    expect(dup.status, JSON.stringify(dup.body)).toBe(201);
    expect(dup.body.id).not.toBe(c.id);
    expect(dup.body).toMatchObject({ name: "双十一秒杀（副本）", stock: 30, priceCents: 990, perUserLimit: 2, phase: "scheduled", paused: true });
    expect(Date.parse(dup.body.startsAt)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(Date.parse(dup.body.endsAt) - Date.parse(dup.body.startsAt)).toBe(Date.parse(c.endsAt) - Date.parse(c.startsAt));
    // Still a draft: its definition may change.
    expect((await api(`/campaigns/${dup.body.id}`, { method: "PATCH", token: adminKey, json: { stock: 40 } })).body.stock).toBe(40);
    const other = await createTenant();
    expect((await api(`/campaigns/${c.id}/duplicate`, { method: "POST", token: other.adminKey })).status).toBe(404);
  });

  it("a preview link reads the scheduled campaign as live; a forged one is refused; claims from a preview are refused", async () => {
    const { adminKey, tenant } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "预览", productId: await couponProductOf(tenant.id), stock: 5 }, { wait: false, startInMs: 3_600_000 });
    const p = await api(`/campaigns/${c.id}/preview`, { method: "POST", token: adminKey });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    const url = new URL(p.body.url);
    expect(url.searchParams.get("id")).toBe(c.id);
    expect(url.searchParams.get("t")).toBe(tenant.slug);
    const view = await api(`/public/campaigns/${c.id}?preview=${p.body.token}`);
    expect(view.body).toMatchObject({ preview: true, phase: "live" });
    expect((await api(`/public/campaigns/${c.id}`)).body.phase).toBe("scheduled");
    const forged = await api(`/public/campaigns/${c.id}?preview=${p.body.token.replace(/.$/, (ch: string) => (ch === "0" ? "1" : "0"))}`);
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe("preview_expired");
    const fromPreview = await api(`/public/campaigns/${c.id}/claims`, {
      method: "POST",
      headers: { ...(await sessionHeader(c.id, "peek")), referer: p.body.url },
      json: {},
    });
    expect(fromPreview.status).toBe(409);
    expect(fromPreview.body.error.code).toBe("preview_only");
  });

  it("names campaigns, products, membership tiers, segments and issuances for the analyst's own tenant only (GET /analytics/names)", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const tierId = `tier_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare("INSERT INTO member_tiers (id, tenant_id, name, rank, growth_threshold) VALUES (?, ?, '金卡', 2, 1000)").bind(tierId, a.tenant.id).run();
    const productId = await couponProductOf(a.tenant.id, "满30减5券");
    const c = await liveCampaign(a.adminKey, { kind: "coupon_claim", name: "春节领券", productId, stock: 5 }, { wait: false, startInMs: 60_000 });
    const analyst = async (adminKey: string) => (await api("/keys", { method: "POST", token: adminKey, json: { name: "an", scopes: ["analyst"] } })).body.secret as string;
    const segmentId = `seg_${crypto.randomUUID().slice(0, 8)}`;
    const issuanceId = `iss_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO segments (id, tenant_id, name, source) VALUES (?, ?, '沉睡会员', 'upload')").bind(segmentId, a.tenant.id),
      // 2026-03-01 20:00 UTC is 03-02 in China.
      env.DB.prepare("INSERT INTO issuances (id, tenant_id, kind, segment_id, coupon_product_id, created_at) VALUES (?, ?, 'segment', ?, ?, '2026-03-01T20:00:00.000Z')").bind(issuanceId, a.tenant.id, segmentId, productId),
    ]);
    const own = await api("/analytics/names", { token: await analyst(a.adminKey) });
    expect(own.status).toBe(200);
    expect(own.body.campaigns[c.id]).toBe("春节领券");
    expect(own.body.products[productId]).toBe("满30减5券");
    expect(own.body.tiers[tierId]).toBe("金卡");
    expect(own.body.segments[segmentId]).toBe("沉睡会员");
    expect(own.body.issuances[issuanceId]).toBe("沉睡会员 · 满30减5券 · 2026-03-02");
    const other = await api("/analytics/names", { token: await analyst(b.adminKey) });
    expect(other.body.tiers[tierId]).toBeUndefined();
    expect(other.body.issuances[issuanceId]).toBeUndefined();
    expect(other.body.segments[segmentId]).toBeUndefined();
    expect(other.body.campaigns[c.id]).toBeUndefined();
    expect(other.body.products[productId]).toBeUndefined();
    expect((await api("/analytics/names", { token: (await api("/keys", { method: "POST", token: a.adminKey, json: { name: "op", scopes: ["operator"] } })).body.secret })).status).toBe(403);
  });
});
