import { describe, expect, it } from "vitest";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { shop, shopWithKeys } from "./commerce-helpers";
import { api } from "./helpers";

const LIMIT = 20; // SESSION_IP_LIMIT_PER_MIN in wrangler.toml
let ipSeq = 0;
const freshIp = () => `198.51.${100 + (ipSeq++ % 100)}.${Math.floor(Math.random() * 250) + 1}`;

async function brandWithCampaign() {
  const s = await shopWithKeys(0);
  const c = await liveCampaign(s.adminKey, {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "sessions", prizes: [{ id: "p", name: "券", productId: await couponProductOf(s.tenant.id), stock: 100, weight: 1 }], noPrizeWeight: 0,
    drawsPerDay: 1, perUserLimit: 1, shards: 1,
  });
  return { ...s, campaignId: c.id };
}

const campaignSession = (campaignId: string, ip: string, token?: string) =>
  api(`/public/campaigns/${campaignId}/session`, {
    method: "POST", headers: { "cf-connecting-ip": ip, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

describe("one limit on starting buyer sessions", () => {
  it("a guest session from the shop route claims like a campaign session, and the shop route is limited too", async () => {
    const b = await brandWithCampaign();
    const ip = freshIp();
    const guests = await Promise.all(Array.from({ length: LIMIT + 5 }, () => shop(b.slug, "/guest", { method: "POST", ip })));
    expect(guests.filter((g) => g.status === 200)).toHaveLength(LIMIT);
    const refused = guests.filter((g) => g.status === 429);
    expect(refused).toHaveLength(5);
    expect(refused[0]!.body.error).toMatchObject({ code: "rate_limited" });
    // The cookie is the same signed session the widget gets: it claims.
    const token = decodeURIComponent(guests.find((g) => g.status === 200)!.cookie!.split("=")[1]!);
    const won = await api(`/public/campaigns/${b.campaignId}/claims`, { method: "POST", headers: { authorization: `Bearer ${token}` }, json: {} });
    expect(won.status).toBe(200);
    // The campaign route shares the same count for that IP; another IP is untouched.
    expect((await campaignSession(b.campaignId, ip)).status).toBe(429);
    expect((await shop(b.slug, "/guest", { method: "POST", ip: freshIp() })).status).toBe(200);
  }, 60_000);

  it("counts a client's sessions by its IPv6 /64, not by each address it picks in it", async () => {
    const b = await brandWithCampaign();
    const prefix = `2001:db8:${(100 + ipSeq++).toString(16)}:7`;
    const answers = [];
    for (let i = 0; i < LIMIT + 3; i++) answers.push((await campaignSession(b.campaignId, `${prefix}:${(i + 1).toString(16)}::${(i + 7).toString(16)}`)).status);
    expect(answers.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(answers.slice(LIMIT)).toEqual([429, 429, 429]);
    // The guest route counts the same /64 too; the next /64 is another client.
    expect((await shop(b.slug, "/guest", { method: "POST", ip: `${prefix}:ffff::1` })).status).toBe(429);
    expect((await campaignSession(b.campaignId, `2001:db8:${(100 + ipSeq++).toString(16)}:8::1`)).status).toBe(200);
  }, 60_000);

  it("counts sessions started through the campaign route, the guest route and guest checkout together", async () => {
    const b = await brandWithCampaign();
    const ip = freshIp();
    for (let i = 0; i < 8; i++) expect((await campaignSession(b.campaignId, ip)).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await shop(b.slug, "/guest", { method: "POST", ip })).status).toBe(200);
    // Guest checkout also signs a new session (an order of a sold-out product still starts it: 409 after the cookie).
    const orders = [];
    for (let i = 0; i < 4; i++) {
      orders.push(await shop(b.slug, "/orders", { method: "POST", ip, idem: `sess-${i}-${crypto.randomUUID()}`, json: { productId: b.productId } }));
    }
    expect(orders.map((o) => o.status)).not.toContain(429);
    const past = await shop(b.slug, "/guest", { method: "POST", ip });
    expect(past.status).toBe(429);
    expect((await campaignSession(b.campaignId, ip)).status).toBe(429);
    expect((await shop(b.slug, "/orders", { method: "POST", ip, idem: `sess-x-${crypto.randomUUID()}`, json: { productId: b.productId } })).status).toBe(429);
    // A buyer who already holds a session is not starting a new one: not counted, not refused.
    const held = await shop(b.slug, "/guest", { method: "POST", ip: freshIp() });
    expect((await shop(b.slug, "/guest", { method: "POST", ip, cookie: held.cookie })).status).toBe(200);
    const widget = await campaignSession(b.campaignId, freshIp());
    expect((await campaignSession(b.campaignId, ip, widget.body.token)).status).toBe(200);
  }, 60_000);
});
