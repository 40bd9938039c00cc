import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { couponProductOf, liveCampaign, sessionHeader } from "./campaign-helpers";
import { api, createTenant } from "./helpers";

async function lottery(origins: string[] = []) {
  const { adminKey, tenant } = await createTenant();
  if (origins.length) await api("/tenant", { method: "PATCH", token: adminKey, json: { allowedOrigins: origins } });
  const productId = await couponProductOf(tenant.id);
  const c = await liveCampaign(adminKey, {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" },
    name: "identity",
    prizes: [{ id: "p", name: "券", productId, stock: 100, weight: 1 }],
    noPrizeWeight: 0,
    drawsPerDay: 1,
    perUserLimit: 1,
    shards: 2,
  });
  return { c, tenant, adminKey };
}

describe("who may claim", () => {
  it("refuses a claim with no buyer session, and a made-up userId that is not the session's buyer", async () => {
    const { c } = await lottery();
    const anonymous = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", json: { userId: "someone" } });
    expect(anonymous.status).toBe(401);
    const spoof = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: await sessionHeader(c.id, "alice"), json: { userId: "bob" } });
    expect(spoof.status).toBe(403);
    const own = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: await sessionHeader(c.id, "alice"), json: {} });
    expect(own.status).toBe(200);
  });

  it("does not accept a session signed for another brand", async () => {
    const a = await lottery();
    const b = await lottery();
    const foreign = await sessionHeader(b.c.id, "mallory");
    const res = await api(`/public/campaigns/${a.c.id}/claims`, { method: "POST", headers: foreign, json: {} });
    expect(res.status).toBe(401);
  });

  it("gives an embedded visitor a guest session whose token claims once, per-user limit exact", async () => {
    const { c } = await lottery(["https://brand.example"]);
    const origin = { origin: "https://brand.example" };
    const s = await api(`/public/campaigns/${c.id}/session`, { method: "POST", headers: origin });
    expect(s.status).toBe(200);
    expect(s.body.userId).toMatch(/^byr_/);
    expect(s.headers.get("access-control-allow-origin")).toBe("https://brand.example");
    const auth = { ...origin, authorization: `Bearer ${s.body.token}` };
    const again = await api(`/public/campaigns/${c.id}/session`, { method: "POST", headers: auth });
    expect(again.body.userId).toBe(s.body.userId);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: auth, json: {} })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it("refuses claims and sessions from a page origin the brand did not list, even with a valid session", async () => {
    const { c } = await lottery(["https://brand.example"]);
    const evil = { origin: "https://evil.example", ...(await sessionHeader(c.id, "carol")) };
    const res = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: evil, json: {} });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("origin_not_allowed");
    const s = await api(`/public/campaigns/${c.id}/session`, { method: "POST", headers: { origin: "https://evil.example" } });
    expect(s.status).toBe(403);
  });

  it("records the embedding origin on the claim for attribution", async () => {
    const { c } = await lottery(["https://brand.example"]);
    const headers = { origin: "https://brand.example", ...(await sessionHeader(c.id, "dave")) };
    const res = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers, json: {} });
    expect(res.status).toBe(200);
    const { shardOf } = await import("../../worker/services/campaigns");
    const { homeShard } = await import("../../worker/domain/campaign-rules");
    const { runInDurableObject } = await import("cloudflare:test");
    const stub = shardOf(env, c.id, homeShard("dave", c.shards));
    const origin = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ origin: string }>("SELECT origin FROM claims WHERE user_id = 'dave'").one().origin,
    );
    expect(origin).toBe("https://brand.example");
    const { claimEvent } = await import("../../worker/durable/campaign-outbox");
    expect(claimEvent).toBeTypeOf("function");
  });
});
