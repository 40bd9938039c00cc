import { env } from "cloudflare:workers";
import { currentConsentVersion } from "../../schema/privacy";
import { describe, expect, inject, it } from "vitest";
import { api, createTenant } from "./helpers";
import { couponProductOf, liveCampaign } from "./campaign-helpers";

type Row = { type: string; userId: string; deviceId: string; referrerId: string; campaignId: string; acquisitionCampaignId: string; costCents: number; origin: string; payload: string };

/** The tenant's events in the warehouse once `ok` holds (they travel worker → queue → warehouse), polled up to 8 s. */
async function eventsOf(tenantId: string, ok: (rows: Row[]) => boolean = (r) => r.length > 0): Promise<Row[]> {
  const started = Date.now();
  for (;;) {
    const rows = (await (await fetch(`${inject("warehouseUrl")}/test/events?tenant=${tenantId}`)).json()) as Row[];
    if (ok(rows) || Date.now() - started > 8000) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const ofType = (rows: Row[], type: string) => rows.filter((r) => r.type === type);
let ipN = 0;
const ip = () => ({ "cf-connecting-ip": `10.77.${Math.floor(ipN / 250)}.${ipN++ % 250}` });
const cookieOf = (res: { headers: Headers }) => res.headers.get("set-cookie")!.split(";")[0]!;

async function couponCampaign() {
  const t = await createTenant("Acq Brand");
  await api("/tenant", { method: "PATCH", token: t.adminKey, json: { allowedOrigins: ["https://brand.example"] } });
  const productId = await couponProductOf(t.tenant.id);
  const c = await liveCampaign(t.adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 100, shards: 1 });
  return { ...t, campaignId: c.id, productId };
}

describe("the product emits user_signed_up, share_sent and referral_signed_up on real traffic", () => {
  it("a shop guest signs up once, with the UTM parameters the page passed", async () => {
    const t = await createTenant();
    const slug = t.tenant.slug;
    const acquisition = { utmSource: "wechat", utmMedium: "social", utmCampaign: "double11", deviceId: "dev-utm-1" };
    const g = await api(`/shop/${slug}/guest`, { method: "POST", headers: ip(), json: { acquisition } });
    expect(g.status).toBe(200);
    const again = await api(`/shop/${slug}/guest`, { method: "POST", headers: { ...ip(), cookie: cookieOf(g) }, json: { acquisition: { utmSource: "weibo" } } });
    expect(again.body.buyer.id).toBe(g.body.buyer.id);
    // Guest checkout without a session is a buyer's first existence too.
    const p = await api("/products", { method: "POST", token: t.adminKey, json: { kind: "coupon", name: "券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
    await api(`/products/${p.body.id}/status`, { method: "POST", token: t.adminKey, json: { status: "published" } });
    const order = await api(`/shop/${slug}/orders`, { method: "POST", headers: { ...ip(), "idempotency-key": crypto.randomUUID() }, json: { productId: p.body.id, acquisition: { utmSource: "douyin" } } });
    expect(order.status).toBe(201);

    const rows = await eventsOf(t.tenant.id, (r) => ofType(r, "user_signed_up").length >= 2);
    const signups = ofType(rows, "user_signed_up");
    expect(signups.map((s) => s.userId).sort()).toEqual([g.body.buyer.id, order.body.buyerId].sort());
    const first = signups.find((s) => s.userId === g.body.buyer.id)!;
    expect(first.deviceId).toBe("dev-utm-1");
    expect(JSON.parse(first.payload)).toMatchObject({ utmSource: "wechat", utmMedium: "social", utmCampaign: "double11", buyerKind: "guest" });
    expect(JSON.parse(signups.find((s) => s.userId === order.body.buyerId)!.payload).utmSource).toBe("douyin");
  });

  it("a phone sign-in that creates the buyer signs up; one that absorbs a guest does not sign up again", async () => {
    const t = await createTenant();
    const slug = t.tenant.slug;
    const signIn = async (phone: string, cookie?: string) => {
      await api(`/shop/${slug}/otp`, { method: "POST", headers: ip(), json: { phone } });
      const sms = await api(`/shop/${slug}/dev/sms?phone=${phone}`);
      const code = /(\d{6})/.exec(sms.body.messages.at(-1).body)![1];
      return api(`/shop/${slug}/otp/verify`, { method: "POST", headers: { ...ip(), ...(cookie ? { cookie } : {}) }, json: { phone, code, acquisition: { utmSource: "sms" }, consent: { version: currentConsentVersion("phone_sign_in"), accepted: true } } });
    };
    const direct = await signIn("13800000001");
    expect(direct.status).toBe(200);
    const g = await api(`/shop/${slug}/guest`, { method: "POST", headers: ip(), json: {} });
    const viaGuest = await signIn("13800000002", cookieOf(g));
    expect(viaGuest.status).toBe(200);
    const rows = await eventsOf(t.tenant.id, (r) => ofType(r, "guest_attached").length === 1);
    const signups = ofType(rows, "user_signed_up");
    expect(signups.map((s) => s.userId).sort()).toEqual([direct.body.buyer.id, g.body.buyer.id].sort());
    expect(JSON.parse(signups.find((s) => s.userId === direct.body.buyer.id)!.payload)).toMatchObject({ buyerKind: "phone", utmSource: "sms" });
  });

  it("a share link carries an opaque code; a new visitor through it is a referral, an existing buyer or the sharer's own device is not", async () => {
    const { tenant, campaignId } = await couponCampaign();
    const origin = { origin: "https://brand.example" };
    const sharer = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { ...origin, ...ip() }, json: { acquisition: { deviceId: "dev-sharer" } } });
    expect(sharer.status).toBe(200);
    const auth = { ...origin, authorization: `Bearer ${sharer.body.token}` };

    expect((await api(`/public/campaigns/${campaignId}/shares`, { method: "POST", headers: origin, json: {} })).status).toBe(401);
    const share = await api(`/public/campaigns/${campaignId}/shares`, { method: "POST", headers: auth, json: { channel: "wechat" } });
    expect(share.status).toBe(201);
    expect(share.body.url).toContain(`share=${share.body.code}`);
    expect(share.body.url).toContain(`id=${campaignId}`);
    expect(share.body.url).not.toContain(sharer.body.userId);

    const invitee = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { ...origin, ...ip() }, json: { acquisition: { share: share.body.code, utmSource: "wechat" } } });
    expect(invitee.status).toBe(200);
    // The sharer opening their own link: an existing session is not a new buyer; their own device is not a referral.
    await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { ...auth, ...ip() }, json: { acquisition: { share: share.body.code } } });
    const ownDevice = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { ...origin, ...ip() }, json: { acquisition: { share: share.body.code, deviceId: "dev-sharer" } } });
    // An unknown code is organic.
    const bogus = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: ip(), json: { acquisition: { share: "AAAAAAAAAAAA" } } });
    expect((await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: ip(), json: { acquisition: { share: "x" } } })).status).toBe(400);

    const rows = await eventsOf(tenant.id, (r) => ofType(r, "user_signed_up").length >= 4 && ofType(r, "share_sent").length === 1);
    const shares = ofType(rows, "share_sent");
    expect(shares).toHaveLength(1);
    expect(shares[0]).toMatchObject({ userId: sharer.body.userId, campaignId });
    const signups = ofType(rows, "user_signed_up");
    expect(signups.map((s) => s.userId).sort()).toEqual([sharer.body.userId, invitee.body.userId, ownDevice.body.userId, bogus.body.userId].sort());
    const inv = signups.find((s) => s.userId === invitee.body.userId)!;
    expect(inv).toMatchObject({ referrerId: sharer.body.userId, acquisitionCampaignId: campaignId, origin: "https://brand.example" });
    expect(JSON.parse(inv.payload)).toMatchObject({ shareLink: share.body.code, utmSource: "wechat" });
    expect(signups.find((s) => s.userId === ownDevice.body.userId)!.referrerId).toBe("");
    expect(signups.find((s) => s.userId === bogus.body.userId)!).toMatchObject({ referrerId: "", acquisitionCampaignId: campaignId, origin: "" });
    const referrals = ofType(rows, "referral_signed_up");
    expect(referrals).toHaveLength(1);
    expect(referrals[0]).toMatchObject({ userId: invitee.body.userId, referrerId: sharer.body.userId, campaignId });
    // The code maps to the sharer only in D1.
    const stored = await env.DB.prepare("SELECT sharer_id FROM campaign_shares WHERE code = ?").bind(share.body.code).first<{ sharer_id: string }>();
    expect(stored?.sharer_id).toBe(sharer.body.userId);
  });

  it("claims carry the brand's cost once: on claim_succeeded, not again on voucher_issued", async () => {
    const { tenant, campaignId } = await couponCampaign();
    const s = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: ip(), json: {} });
    const claim = await api(`/public/campaigns/${campaignId}/claims`, { method: "POST", headers: { ...ip(), authorization: `Bearer ${s.body.token}` }, json: {} });
    expect(claim.status).toBe(200);
    const rows = await eventsOf(tenant.id, (r) => ofType(r, "claim_succeeded").length === 1 && ofType(r, "voucher_issued").length === 1);
    expect(ofType(rows, "claim_succeeded")[0]!.costCents).toBe(1000); // the coupon's face value
    expect(ofType(rows, "voucher_issued")[0]!.costCents).toBe(0);
  });
});

describe("the brand's cost of a campaign", () => {
  it("defaults to the coupon's or prize's face value, is configurable, and is worked out again when the product changes", async () => {
    const t = await createTenant();
    const coupon = await couponProductOf(t.tenant.id); // face value 1000
    const starts = new Date(Date.now() + 3_600_000).toISOString();
    const ends = new Date(Date.now() + 7_200_000).toISOString();
    const lottery = await api("/campaigns", { method: "POST", token: t.adminKey, json: {
      kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "抽奖", startsAt: starts, endsAt: ends,
      prizes: [{ id: "big", name: "大奖", productId: coupon, stock: 1, weight: 1 }, { id: "small", name: "小奖", productId: coupon, stock: 5, weight: 5, costCents: 250 }],
    } });
    expect(lottery.status).toBe(201);
    expect(lottery.body.prizes.map((p: { costCents: number }) => p.costCents)).toEqual([1000, 250]);
    const claimC = await api("/campaigns", { method: "POST", token: t.adminKey, json: { kind: "coupon_claim", name: "领券", startsAt: starts, endsAt: ends, productId: coupon, stock: 5 } });
    expect(claimC.body.costCents).toBe(1000);
    const configured = await api("/campaigns", { method: "POST", token: t.adminKey, json: { kind: "coupon_claim", name: "领券", startsAt: starts, endsAt: ends, productId: coupon, stock: 5, costCents: 120 } });
    expect(configured.body.costCents).toBe(120);
    const other = await couponProductOf(t.tenant.id, "另一张券");
    await env.DB.prepare("UPDATE products SET face_value_cents = 700 WHERE id = ?").bind(other).run();
    const patched = await api(`/campaigns/${claimC.body.id}`, { method: "PATCH", token: t.adminKey, json: { productId: other } });
    expect(patched.body.costCents).toBe(700);
    expect((await api("/campaigns", { method: "POST", token: t.adminKey, json: { kind: "coupon_claim", name: "x", startsAt: starts, endsAt: ends, productId: coupon, stock: 5, costCents: -1 } })).status).toBe(400);
  });
});

describe("/track takes the visitor from the session, drops bots and 30 s reloads", () => {
  it("counts a view once per visitor and page within 30 s, never trusts a userId in the body", async () => {
    const t = await createTenant();
    const slug = t.tenant.slug;
    const g = await api(`/shop/${slug}/guest`, { method: "POST", headers: ip(), json: {} });
    const view = (headers: Record<string, string>, body: Record<string, unknown>) => api("/track", { method: "POST", headers, json: { tenant: slug, ...body } });
    const page = [{ type: "page_view", path: "/shop/" }];

    expect((await view({}, { events: [{ type: "page_view", userId: "someone" }] })).status).toBe(400);
    expect((await view({}, { events: page })).status).toBe(400); // neither a session nor a device id
    expect((await view({}, { events: [{ type: "share_sent" }], deviceId: "d1" })).status).toBe(400);

    const first = await view({ cookie: cookieOf(g) }, { events: page, deviceId: "dev-x" });
    expect(first.body).toEqual({ accepted: 1, ignored: 0 });
    expect((await view({ cookie: cookieOf(g) }, { events: page })).body).toEqual({ accepted: 0, ignored: 1 }); // reload
    expect((await view({ cookie: cookieOf(g) }, { events: [{ type: "product_viewed", productId: "p1", path: "/shop/product/" }] })).body).toEqual({ accepted: 1, ignored: 0 });
    expect((await view({}, { events: page, deviceId: "anon-1" })).body).toEqual({ accepted: 1, ignored: 0 });
    expect((await view({ "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" }, { events: page, deviceId: "anon-2" })).body).toEqual({ accepted: 0, ignored: 1 });
    expect((await view({ "user-agent": "Mozilla/5.0 (compatible; Baiduspider/2.0)" }, { events: page, deviceId: "anon-3" })).body).toEqual({ accepted: 0, ignored: 1 });

    const rows = await eventsOf(t.tenant.id, (r) => ofType(r, "page_view").length + ofType(r, "product_viewed").length >= 3);
    const views = rows.filter((r) => r.type === "page_view" || r.type === "product_viewed");
    expect(views.map((v) => [v.type, v.userId, v.deviceId]).sort()).toEqual(
      [["page_view", g.body.buyer.id, "dev-x"], ["product_viewed", g.body.buyer.id, ""], ["page_view", "", "anon-1"]].sort(),
    );
  });

  it("a widget impression names the embedding origin and the widget's Bearer session", async () => {
    const { tenant, campaignId } = await couponCampaign();
    const origin = { origin: "https://brand.example" };
    const s = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { ...origin, ...ip() }, json: {} });
    const res = await api("/track", { method: "POST", headers: { ...origin, authorization: `Bearer ${s.body.token}` }, json: { tenant: tenant.slug, events: [{ type: "widget_impression", campaignId }] } });
    expect(res.body).toEqual({ accepted: 1, ignored: 0 });
    const rows = await eventsOf(tenant.id, (r) => ofType(r, "widget_impression").length === 1);
    expect(ofType(rows, "widget_impression")[0]).toMatchObject({ userId: s.body.userId, campaignId, origin: "https://brand.example" });
  });
});
