import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { api, createTenant, recordedOfType } from "./helpers";
import { couponProductOf, liveCampaign } from "./campaign-helpers";

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
  it("links a product, a campaign, a group team, an assist request and an invite programme to their pages, recording share_sent", async () => {
    const s = await store();
    const subjects = [
      ["product", s.productId, `/shop/product/?t=${s.slug}&id=${s.productId}`],
      ["campaign", s.campaignId, `/campaigns/flash/?t=${s.slug}&id=${s.campaignId}`],
      ["group", "team_abc", `/shop/group/?t=${s.slug}&id=team_abc`],
      ["assist", "asr_1", `/shop/assist/?t=${s.slug}&id=asr_1`],
      ["invite", "inv_prog", `/shop/invite/?t=${s.slug}&id=inv_prog`],
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
    const row = await env.DB.prepare("SELECT mechanism, subject_id, campaign_id, sharer_id FROM campaign_shares WHERE code = ?").bind(codes[2]).first();
    expect(row).toEqual({ mechanism: "group", subject_id: "team_abc", campaign_id: null, sharer_id: s.sharer.id });
  });

  it("attributes a visitor who arrives through a product or group link: views carry the code, sign-up names the sharer", async () => {
    const s = await store();
    for (const [mechanism, subjectId] of [["product", s.productId], ["group", "team_9"]] as const) {
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
