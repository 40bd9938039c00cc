import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { api, createTenant, recordedOfType } from "./helpers";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { shop, shopWithKeys } from "./commerce-helpers";

let ipN = 0;
const ip = () => ({ "cf-connecting-ip": `10.78.${Math.floor(ipN / 250)}.${ipN++ % 250}` });
/** Views go straight to the Queue (not the outbox): read them in the warehouse once there, polled up to 8 s. */
async function warehouseViews(tenantId: string, deviceId: string) {
  const started = Date.now();
  for (;;) {
    const rows = (await (await fetch(`${inject("warehouseUrl")}/test/events?tenant=${tenantId}`)).json()) as { type: string; deviceId: string; payload: string }[];
    const hit = rows.find((r) => r.type === "page_view" && r.deviceId === deviceId);
    if (hit || Date.now() - started > 8000) return hit ? JSON.parse(hit.payload) : null;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const cookieOf = (res: { headers: Headers }) => res.headers.get("set-cookie")!.split(";")[0]!;

/** A store with a published product and a live coupon campaign, and a guest sharer with their cookie. */
async function store() {
  const t = await createTenant("Share Brand");
  const productId = await couponProductOf(t.tenant.id);
  const campaign = await liveCampaign(t.adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 10, shards: 1 });
  const slug = t.tenant.slug as string;
  const g = await api(`/shop/${slug}/guest`, { method: "POST", headers: ip(), json: {} });
  return { ...t, slug, productId, campaignId: campaign.id as string, sharer: { id: g.body.buyer.id as string, cookie: cookieOf(g) } };
}
const shareAs = (slug: string, cookie: string | null, json: unknown) =>
  api(`/shop/${slug}/shares`, { method: "POST", headers: { ...ip(), ...(cookie ? { cookie } : {}) }, json });

describe("share links for every mechanism", () => {
  it("links a product and a campaign to their pages, recording share_sent", async () => {
    const s = await store();
    const subjects = [
      ["product", s.productId, `/shop/product/?t=${s.slug}&id=${s.productId}`],
      ["campaign", s.campaignId, `/campaigns/flash/?t=${s.slug}&id=${s.campaignId}`],
    ] as const;
    const codes: string[] = [];
    for (const [mechanism, subjectId, path] of subjects) {
      const r = await shareAs(s.slug, s.sharer.cookie, { mechanism, subjectId, channel: "poster" });
      expect(r.status, mechanism).toBe(201);
      expect(r.body.url).toBe(`${path}&share=${r.body.code}`);
      expect(r.body.url).not.toContain(s.sharer.id);
      codes.push(r.body.code);
    }
    const sent = await recordedOfType(s.tenant.id, "share_sent");
    expect(sent.map((e) => [e.payload.mechanism, e.payload.subjectId, e.payload.shareLink, e.actor.userId])).toEqual(
      subjects.map(([m, id], i) => [m, id, codes[i], s.sharer.id]),
    );
    expect(sent[0]!.payload).toMatchObject({ productId: s.productId, campaignId: null, channel: "poster" });
    expect(sent[1]!.payload).toMatchObject({ campaignId: s.campaignId });
    const row = await env.DB.prepare("SELECT mechanism, subject_id, campaign_id, sharer_id FROM campaign_shares WHERE code = ?").bind(codes[1]).first();
    expect(row).toEqual({ mechanism: "campaign", subject_id: s.campaignId, campaign_id: s.campaignId, sharer_id: s.sharer.id });
  });

  it("attributes a visitor who arrives through a product link: views carry the code, sign-up names the sharer", async () => {
    const s = await store();
    for (const [mechanism, subjectId] of [["product", s.productId]] as const) {
      const { body } = await shareAs(s.slug, s.sharer.cookie, { mechanism, subjectId });
      const deviceId = `dev-${mechanism}-${ipN}`;
      const view = await api("/track", { method: "POST", headers: ip(), json: { tenant: s.slug, deviceId, events: [{ type: "page_view", path: "/shop/product/", shareLink: body.code }] } });
      expect(view.status).toBe(202);
      const visitor = await api(`/shop/${s.slug}/guest`, { method: "POST", headers: ip(), json: { acquisition: { share: body.code, deviceId } } });
      expect((await warehouseViews(s.tenant.id, deviceId))?.shareLink).toBe(body.code);
      const signup = (await recordedOfType(s.tenant.id, "user_signed_up")).find((e) => e.actor.userId === visitor.body.buyer.id)!;
      expect(signup.actor.referrerId).toBe(s.sharer.id);
      expect(signup.payload.shareLink).toBe(body.code);
      const referral = (await recordedOfType(s.tenant.id, "referral_signed_up")).find((e) => e.actor.userId === visitor.body.buyer.id)!;
      expect(referral).toMatchObject({ actor: { referrerId: s.sharer.id }, payload: { shareLink: body.code } });
    }
  });
});

describe("share links: bad input and tenant isolation", () => {
  it("answers 400 with field paths, 401 without a buyer, 404 for a subject that is not this store's", async () => {
    const s = await store();
    const other = await store();
    const bad = await shareAs(s.slug, s.sharer.cookie, { mechanism: "pyramid", subjectId: "x y", channel: "<b>" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.channel", "json.mechanism", "json.subjectId"]);
    expect((await shareAs(s.slug, s.sharer.cookie, { mechanism: "product" })).body.error.issues[0].path).toBe("json.subjectId");
    expect((await shareAs(s.slug, s.sharer.cookie, { mechanism: "product", subjectId: s.productId, extra: 1 })).status).toBe(400);
    expect((await shareAs(s.slug, null, { mechanism: "product", subjectId: s.productId })).status).toBe(401);
    expect((await shareAs(s.slug, s.sharer.cookie, { mechanism: "product", subjectId: "prd_nope" })).status).toBe(404);
    expect((await shareAs(s.slug, s.sharer.cookie, { mechanism: "product", subjectId: other.productId })).status).toBe(404);
    const foreign = await shareAs(s.slug, s.sharer.cookie, { mechanism: "campaign", subjectId: other.campaignId });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("not_found");
    // Another store's cookie is no buyer here.
    expect((await shareAs(s.slug, other.sharer.cookie, { mechanism: "product", subjectId: s.productId })).status).toBe(401);
    expect(await recordedOfType(s.tenant.id, "share_sent")).toHaveLength(0);
  });

  it("a code from another store is organic there", async () => {
    const s = await store();
    const other = await store();
    const { body } = await shareAs(other.slug, other.sharer.cookie, { mechanism: "product", subjectId: other.productId });
    const visitor = await api(`/shop/${s.slug}/guest`, { method: "POST", headers: ip(), json: { acquisition: { share: body.code } } });
    const signup = (await recordedOfType(s.tenant.id, "user_signed_up")).find((e) => e.actor.userId === visitor.body.buyer.id)!;
    expect(signup.actor.referrerId ?? null).toBeNull();
    expect(await recordedOfType(s.tenant.id, "referral_signed_up")).toHaveLength(0);
  });
});

const HOUR = 3_600_000;
const created = (r: { status: number; body: any }) => {
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
};

/** A card-key shop with a group buy and an open team, a running assist with a request and an active invite programme, all of one member (the sharer). */
async function growthStore() {
  const s = await shopWithKeys(3);
  const reward = created(await api("/products", {
    method: "POST", token: s.adminKey,
    json: { kind: "coupon", name: "助力奖励券", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 5000, discountCents: 1000 } } },
  }));
  const groupBuyId = created(await api("/group-buys", { method: "POST", token: s.adminKey, json: { productId: s.productId, name: "三人团", groupPriceCents: 990, teamSize: 3, teamMinutes: 30, endsAt: new Date(Date.now() + 24 * HOUR).toISOString() } }));
  const assistId = created(await api("/assists", { method: "POST", token: s.adminKey, json: { name: "5 人助力得券", productId: reward, goal: 5, hours: 24, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 7 * 24 * HOUR).toISOString() } }));
  const programmeId = created(await api("/invites/programmes", { method: "POST", token: s.adminKey, json: { name: "邀请有礼", inviterProductId: reward, inviteeProductId: reward } }));
  const team = await shop(s.slug, `/group-buys/${groupBuyId}/teams`, { method: "POST" });
  expect(team.status).toBe(201);
  const cookie = team.cookie!;
  expect((await shop(s.slug, "/member/join", { method: "POST", cookie })).status).toBe(200);
  const request = await shop(s.slug, `/assists/${assistId}/requests`, { method: "POST", cookie });
  expect(request.status).toBeLessThan(300);
  const mine = await shop(s.slug, "/member/invites", { cookie });
  expect(mine.body.code).toBeTruthy();
  return { ...s, groupBuyId, assistId, programmeId, teamId: team.body.team.id as string, requestCode: request.body.code as string, inviteCode: mine.body.code as string, cookie };
}

describe("share links of group teams, assist requests and invite programmes", () => {
  it("link to the team, the request and the sharer's own invite landing; unknown or foreign ids are 404", async () => {
    const g = await growthStore();
    const other = await growthStore();
    const subjects = [
      ["group", g.teamId, `/shop/group/?t=${g.slug}&team=${g.teamId}`],
      ["assist", g.requestCode, `/shop/assist/?t=${g.slug}&c=${g.requestCode}`],
      ["invite", g.programmeId, `/shop/member/?t=${g.slug}&invite=${g.inviteCode}`],
    ] as const;
    for (const [mechanism, subjectId, path] of subjects) {
      const r = await shareAs(g.slug, g.cookie, { mechanism, subjectId, channel: "poster" });
      expect(r.status, mechanism).toBe(201);
      expect(r.body.url).toBe(`${path}&share=${r.body.code}`);
    }
    const sent = await recordedOfType(g.tenant.id, "share_sent");
    expect(sent.map((e) => [e.payload.mechanism, e.payload.subjectId])).toEqual(subjects.map(([m, id]) => [m, id]));
    for (const [mechanism, subjectId] of [["group", other.teamId], ["assist", other.requestCode], ["invite", other.programmeId], ["group", "team_nope"], ["assist", "nope"], ["invite", "ivp_nope"]]) {
      expect((await shareAs(g.slug, g.cookie, { mechanism, subjectId })).status, `${mechanism} ${subjectId}`).toBe(404);
    }
    // A visitor through the group link signs up attributed to the sharer.
    const { body } = await shareAs(g.slug, g.cookie, { mechanism: "group", subjectId: g.teamId });
    const visitor = await api(`/shop/${g.slug}/guest`, { method: "POST", headers: ip(), json: { acquisition: { share: body.code } } });
    const signup = (await recordedOfType(g.tenant.id, "user_signed_up")).find((e) => e.actor.userId === visitor.body.buyer.id)!;
    expect(signup.actor.referrerId).toBe(sent[0]!.actor.userId);
  });

  it("widget cards: running group buy, assist and invite programme of the brand, CORS for its origins; others 404", async () => {
    const g = await growthStore();
    const other = await growthStore();
    await api("/tenant", { method: "PATCH", token: g.adminKey, json: { allowedOrigins: ["https://brand.example"] } });
    const card = (slug: string, path: string, origin?: string) => api(`/public/${slug}/${path}`, { headers: origin ? { origin } : {} });
    const gb = await card(g.slug, `group-buys/${g.groupBuyId}`, "https://brand.example");
    expect(gb.status).toBe(200);
    expect(gb.headers.get("access-control-allow-origin")).toBe("https://brand.example");
    expect(gb.body).toMatchObject({ id: g.groupBuyId, name: "三人团", priceCents: 1990, groupPriceCents: 990, size: 3, teamMinutes: 30, openTeams: 1, url: `/shop/group/?t=${g.slug}&g=${g.groupBuyId}` });
    expect((await card(g.slug, `assists/${g.assistId}`)).body).toMatchObject({ id: g.assistId, goal: 5, minutes: 1440, reward: "助力奖励券", url: `/shop/assist/?t=${g.slug}&a=${g.assistId}` });
    expect((await card(g.slug, `invites/${g.programmeId}`)).body).toMatchObject({ id: g.programmeId, name: "邀请有礼", inviterReward: "助力奖励券", inviteeReward: "助力奖励券" });
    expect((await card(g.slug, `assists/${g.assistId}`, "https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
    for (const path of [`group-buys/${other.groupBuyId}`, `assists/${other.assistId}`, `invites/${other.programmeId}`, "assists/ast_nope"]) {
      expect((await card(g.slug, path)).status, path).toBe(404);
    }
    expect((await card("no-such-store", `assists/${g.assistId}`)).status).toBe(404);
    // Closed or inactive: no card.
    await api(`/group-buys/${g.groupBuyId}/close`, { method: "POST", token: g.adminKey });
    await api(`/assists/${g.assistId}/status`, { method: "POST", token: g.adminKey, json: { status: "closed" } });
    await api(`/invites/programmes/${g.programmeId}/status`, { method: "POST", token: g.adminKey, json: { active: false } });
    for (const path of [`group-buys/${g.groupBuyId}`, `assists/${g.assistId}`, `invites/${g.programmeId}`]) expect((await card(g.slug, path)).status, path).toBe(404);
  });
});
