import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { api, createTenant, insertMember, recordedOfType } from "./helpers";
import { sessionCookieName, signSession } from "../../worker/domain/buyer-session";

let seq = 0;
const ip = () => `198.19.${seq % 200}.${(seq++ % 250) + 1}`;
const uid = (p: string) => `${p}_${crypto.randomUUID().slice(0, 10)}`;

/** A buyer of the tenant with a verified phone (and a member row when asked), and a Bearer header for them. */
async function buyer(tenantId: string, o: { member?: boolean; createdDaysAgo?: number; tierId?: string; birthday?: string; city?: string } = {}) {
  const id = uid("byr");
  const created = new Date(Date.now() - (o.createdDaysAgo ?? 0) * 86_400_000).toISOString();
  await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, created_at) VALUES (?, ?, 'phone', ?)").bind(id, tenantId, created).run();
  if (o.member) {
    const m = await insertMember(tenantId, id);
    await env.DB.prepare("UPDATE members SET tier_id = ?, birthday = ?, city = ?, joined_at = ? WHERE id = ?")
      .bind(o.tierId ?? null, o.birthday ?? null, o.city ?? null, created, m).run();
  }
  const token = await signSession(env.BUYER_SESSION_SECRET, tenantId, id, undefined, { phone: true, member: !!o.member, createdS: Math.floor(Date.parse(created) / 1000) });
  return { id, headers: { authorization: `Bearer ${token}` } };
}

async function guest(tenantId: string) {
  const id = uid("gst");
  await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(id, tenantId).run();
  return { id, headers: { authorization: `Bearer ${await signSession(env.BUYER_SESSION_SECRET, tenantId, id)}` } };
}

const claimAs = (campaignId: string, headers: Record<string, string>, cf?: Record<string, unknown>) =>
  exports.default
    .fetch(`http://kaquan.test/api/v1/public/campaigns/${campaignId}/claims`, {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip(), ...headers },
      body: "{}",
      ...(cf ? { cf } : {}),
    } as RequestInit)
    .then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

async function couponCampaign(eligibility: Record<string, unknown>, t?: Awaited<ReturnType<typeof createTenant>>, productConfig?: unknown) {
  const { adminKey, tenant } = t ?? (await createTenant());
  const productId = await couponProductOf(tenant.id);
  if (productConfig) await env.DB.prepare("UPDATE products SET config = ? WHERE id = ?").bind(JSON.stringify(productConfig), productId).run();
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 50, perUserLimit: 1, shards: 2, eligibility }, { startInMs: 300 });
  return { c, tenant, adminKey, productId };
}

async function segment(tenantId: string, members: string[], staleMembers: string[] = []) {
  const id = uid("seg");
  await env.DB.prepare("INSERT INTO segments (id, tenant_id, name, source, current_run_id, size) VALUES (?, ?, '高价值', 'upload', 'run2', ?)")
    .bind(id, tenantId, members.length).run();
  for (const b of members) await env.DB.prepare("INSERT INTO segment_members (tenant_id, segment_id, buyer_id, run_id) VALUES (?, ?, ?, 'run2')").bind(tenantId, id, b).run();
  for (const b of staleMembers) await env.DB.prepare("INSERT INTO segment_members (tenant_id, segment_id, buyer_id, run_id) VALUES (?, ?, ?, 'run1')").bind(tenantId, id, b).run();
  return id;
}

const expectRefused = (r: { status: number; body: any }, rule: string, path = `eligibility`) => {
  expect(r.status, JSON.stringify(r.body)).toBe(409);
  expect(r.body.error.code).toBe("not_eligible");
  expect(r.body.error.issues[0]).toMatchObject({ code: rule });
  expect(r.body.error.issues[0].path.startsWith(path)).toBe(true);
};

describe("eligibility on the claim path", () => {
  it("segment: members of the current run claim; others (and last run's) get 409 not_eligible, one event per buyer", async () => {
    const t = await createTenant();
    const [inside, stale, outside] = [await buyer(t.tenant.id), await buyer(t.tenant.id), await buyer(t.tenant.id)];
    const seg = await segment(t.tenant.id, [inside.id], [stale.id]);
    const { c } = await couponCampaign({ segmentIds: [seg] }, t);
    expect((await claimAs(c.id, inside.headers)).status).toBe(200);
    expectRefused(await claimAs(c.id, stale.headers), "segment", "eligibility.segmentIds");
    expectRefused(await claimAs(c.id, outside.headers), "segment");
    expectRefused(await claimAs(c.id, outside.headers), "segment");
    const events = await recordedOfType(t.tenant.id, "eligibility_refused");
    expect(events.filter((e) => e.actor.userId === outside.id)).toHaveLength(1);
    expect(events.find((e) => e.actor.userId === stale.id)?.payload).toEqual({ subjectKind: "campaign", subjectId: c.id, rule: "segment" });
    // A guest cannot be in a segment: the entry requirement answers first.
    const g = await claimAs(c.id, (await guest(t.tenant.id)).headers);
    expect(g.status).toBe(403);
    expect(g.body.error.code).toBe("phone_required");
  });

  it("new user and first order", async () => {
    const t = await createTenant();
    const { c } = await couponCampaign({ newUser: true, newUserDays: 7, firstOrder: true }, t);
    expect((await claimAs(c.id, (await buyer(t.tenant.id, { createdDaysAgo: 1 })).headers)).status).toBe(200);
    expectRefused(await claimAs(c.id, (await buyer(t.tenant.id, { createdDaysAgo: 30 })).headers), "new_user");
    const ordered = await buyer(t.tenant.id, { createdDaysAgo: 1 });
    const p = await couponProductOf(t.tenant.id, "旧单");
    await env.DB.prepare("INSERT INTO orders (id, tenant_id, buyer_id, product_id, quantity, unit_price_cents, amount_cents, status, idempotency_key, request_hash) VALUES (?, ?, ?, ?, 1, 100, 100, 'paid', ?, 'h')")
      .bind(uid("ord"), t.tenant.id, ordered.id, p, uid("k")).run();
    expectRefused(await claimAs(c.id, ordered.headers), "first_order", "eligibility.firstOrder");
  });

  it("tier and birthday month need a member; a guest is asked to be one", async () => {
    const t = await createTenant();
    const gold = uid("tier");
    await env.DB.prepare("INSERT INTO member_tiers (id, tenant_id, name, rank, growth_threshold) VALUES (?, ?, '金卡', 1, 100)").bind(gold, t.tenant.id).run();
    const month = new Date().toISOString().slice(5, 7);
    const other = String(((Number(month) % 12) + 1)).padStart(2, "0");
    const { c } = await couponCampaign({ tierIds: [gold], birthdayMonth: true }, t);
    expect((await claimAs(c.id, (await buyer(t.tenant.id, { member: true, tierId: gold, birthday: `${month}-15` })).headers)).status).toBe(200);
    expectRefused(await claimAs(c.id, (await buyer(t.tenant.id, { member: true, birthday: `${month}-15` })).headers), "tier");
    expectRefused(await claimAs(c.id, (await buyer(t.tenant.id, { member: true, tierId: gold, birthday: `${other}-15` })).headers), "birthday_month");
    expectRefused(await claimAs(c.id, (await buyer(t.tenant.id)).headers), "tier"); // signed in, never joined
    const g = await claimAs(c.id, (await guest(t.tenant.id)).headers);
    expect(g.status).toBe(403);
    expect(g.body.error.code).toBe("member_required");
  });

  it("city: the member's own city, else the request's edge location", async () => {
    const t = await createTenant();
    const { c } = await couponCampaign({ cities: ["上海", "Shanghai"] }, t);
    expect((await claimAs(c.id, (await buyer(t.tenant.id, { member: true, city: "上海市" })).headers)).status).toBe(200);
    expectRefused(await claimAs(c.id, (await buyer(t.tenant.id, { member: true, city: "北京" })).headers, { city: "Shanghai" }), "city");
    expect((await claimAs(c.id, (await buyer(t.tenant.id)).headers, { city: "Shanghai" })).status).toBe(200);
    expectRefused(await claimAs(c.id, (await buyer(t.tenant.id)).headers), "city");
  });

  it("a coupon product's own eligibility is checked on a coupon claim of an open campaign", async () => {
    const t = await createTenant();
    const { c } = await couponCampaign({}, t, { coupon: { thresholdCents: 0, discountCents: 1000, eligibility: { cities: ["杭州"] } } });
    expect((await claimAs(c.id, (await buyer(t.tenant.id, { member: true, city: "杭州" })).headers)).status).toBe(200);
    const r = await claimAs(c.id, (await buyer(t.tenant.id, { member: true, city: "苏州" })).headers);
    expectRefused(r, "city", "product.eligibility.cities");
    const pub = await api(`/public/campaigns/${c.id}`);
    expect(pub.body.product.eligibility).toMatchObject({ cities: ["杭州"] });
    expect(pub.body.eligibility).toMatchObject({ segmentIds: [], cities: [] });
  });

  it("an open rule changes nothing: guests claim as before", async () => {
    const t = await createTenant();
    const { c } = await couponCampaign({}, t);
    expect((await claimAs(c.id, (await guest(t.tenant.id)).headers)).status).toBe(200);
    expect((await recordedOfType(t.tenant.id, "eligibility_refused")).length).toBe(0);
  });
});

describe("eligibility in campaign definitions", () => {
  it("bad input answers 400 with field paths; another brand's segment or tier is unknown here", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const base = { kind: "coupon_claim", name: "x", productId: await couponProductOf(a.tenant.id), stock: 1, startsAt: new Date(Date.now() + 60_000).toISOString(), endsAt: new Date(Date.now() + 120_000).toISOString() };
    const bad = await api("/campaigns", { method: "POST", token: a.adminKey, json: { ...base, eligibility: { newUserDays: 0, cities: [""], vip: true } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.eligibility.cities.0", "json.eligibility.newUserDays", "json.eligibility.vip"]);
    const foreign = await segment(b.tenant.id, []);
    const unknown = await api("/campaigns", { method: "POST", token: a.adminKey, json: { ...base, eligibility: { segmentIds: [foreign], tierIds: ["nope"] } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues.map((i: { path: string; code: string }) => `${i.path}:${i.code}`)).toEqual(["json.eligibility.segmentIds.0:unknown_segment", "json.eligibility.tierIds.0:unknown_tier"]);
    const own = await segment(a.tenant.id, []);
    const ok = await api("/campaigns", { method: "POST", token: a.adminKey, json: { ...base, eligibility: { segmentIds: [own], newUser: true } } });
    expect(ok.status).toBe(201);
    expect(ok.body.eligibility).toMatchObject({ segmentIds: [own], newUser: true, newUserDays: 7 });
    const col = await env.DB.prepare("SELECT eligibility FROM campaigns WHERE id = ?").bind(ok.body.id).first<{ eligibility: string }>();
    expect(JSON.parse(col!.eligibility)).toMatchObject({ segmentIds: [own] });
    const patched = await api(`/campaigns/${ok.body.id}`, { method: "PATCH", token: a.adminKey, json: { eligibility: { cities: ["上海"] } } });
    expect(patched.status).toBe(200);
    expect(patched.body.eligibility).toMatchObject({ segmentIds: [], cities: ["上海"] });
  });

  it("tenant isolation: another brand's segment rows never admit a buyer", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const x = await buyer(a.tenant.id);
    const seg = await segment(a.tenant.id, []);
    // The same segment id and buyer under brand B (as if B's sync wrote it) must not count for brand A.
    await env.DB.prepare("INSERT INTO segment_members (tenant_id, segment_id, buyer_id, run_id) VALUES (?, ?, ?, 'run2')").bind(b.tenant.id, seg, x.id).run();
    const { c } = await couponCampaign({ segmentIds: [seg] }, a);
    expectRefused(await claimAs(c.id, x.headers), "segment");
  });
});

describe("qualifications: what can I get here", () => {
  async function voucher(tenantId: string, holder: string, productId: string, o: { status?: string; validTo?: string } = {}) {
    const id = uid("vch");
    await env.DB.prepare("INSERT INTO vouchers (id, tenant_id, holder_id, product_id, kind, source_key, code, title, face_value_cents, status, valid_from, valid_to) VALUES (?, ?, ?, ?, 'coupon', ?, ?, '满100减20', 2000, ?, ?, ?)")
      .bind(id, tenantId, holder, productId, uid("src"), uid("code"), o.status ?? "issued", new Date(Date.now() - 86_400_000).toISOString(), o.validTo ?? new Date(Date.now() + 86_400_000).toISOString()).run();
    return id;
  }

  it("guests see open items only; a member sees targeted ones with eligible and the refusing rule, and their usable coupons", async () => {
    const t = await createTenant();
    const [insider, outsider] = [await buyer(t.tenant.id), await buyer(t.tenant.id)];
    const seg = await segment(t.tenant.id, [insider.id]);
    const open = await couponCampaign({}, t);
    const targeted = await couponCampaign({ segmentIds: [seg] }, t);
    const couponProduct = await couponProductOf(t.tenant.id, "满100减20");
    await env.DB.prepare("UPDATE products SET config = ? WHERE id = ?").bind(JSON.stringify({ coupon: { thresholdCents: 10_000, discountCents: 2_000 } }), couponProduct).run();
    const usable = await voucher(t.tenant.id, insider.id, couponProduct);
    await voucher(t.tenant.id, insider.id, couponProduct, { status: "redeemed" });
    await voucher(t.tenant.id, insider.id, couponProduct, { validTo: new Date(Date.now() - 1000).toISOString() });
    const slug = t.tenant.slug;

    const anon = await api(`/shop/${slug}/qualifications`);
    expect(anon.status).toBe(200);
    expect(anon.body.viewer).toBeNull();
    expect(anon.body.campaigns.map((q: { campaignId: string }) => q.campaignId)).toEqual([open.c.id]);
    expect(anon.body.couponClaims.map((q: { campaignId: string }) => q.campaignId)).toEqual([open.c.id]);
    expect(anon.body.coupons).toEqual([]);

    const cookie = (b: { headers: { authorization: string } }) => ({ cookie: `${sessionCookieName(slug)}=${b.headers.authorization.slice(7)}` });
    const mine = await api(`/shop/${slug}/qualifications`, { headers: cookie(insider) });
    expect(mine.body.viewer).toBe("phone");
    const byId = (q: { campaigns: { campaignId: string }[] }, id: string) => q.campaigns.find((x) => x.campaignId === id);
    expect(byId(mine.body, targeted.c.id)).toMatchObject({ eligible: true, targeted: true, refusal: null });
    expect(mine.body.couponClaims.map((q: { campaignId: string }) => q.campaignId).sort()).toEqual([open.c.id, targeted.c.id].sort());
    expect(mine.body.coupons).toEqual([expect.objectContaining({ voucherId: usable, thresholdCents: 10_000, discountCents: 2_000, couponKind: "threshold" })]);

    // Once the insider took the open coupon (limit 1), it is no longer one they may still take.
    expect((await claimAs(open.c.id, insider.headers)).status).toBe(200);
    const after = await api(`/shop/${slug}/qualifications`, { headers: cookie(insider) });
    expect(after.body.couponClaims.map((q: { campaignId: string }) => q.campaignId)).toEqual([targeted.c.id]);

    const other = await api(`/shop/${slug}/qualifications`, { headers: cookie(outsider) });
    expect(byId(other.body, targeted.c.id)).toMatchObject({ eligible: false, refusal: { rule: "segment" } });
    expect(other.body.couponClaims.map((q: { campaignId: string }) => q.campaignId)).toEqual([open.c.id]);
    expect(other.body.coupons).toEqual([]);

    // The widget: the same answer for the Bearer campaign session; nothing of this brand for another brand's session.
    const widget = await api(`/public/${slug}/qualifications`, { headers: insider.headers });
    expect(widget.status).toBe(200);
    expect(widget.body.viewer).toBe("phone");
    expect(widget.body.coupons.map((c: { voucherId: string }) => c.voucherId)).toContain(usable);
    const stranger = await buyer((await createTenant()).tenant.id);
    const foreign = await api(`/public/${slug}/qualifications`, { headers: stranger.headers });
    expect(foreign.body.viewer).toBeNull();
    expect(foreign.body.coupons).toEqual([]);
    expect(foreign.body.campaigns.map((q: { campaignId: string }) => q.campaignId)).toEqual([open.c.id]);
  });

  it("a member sets a city in the member centre; city offers read it", async () => {
    const t = await createTenant();
    const m = await buyer(t.tenant.id, { member: true });
    const cookie = { cookie: `${sessionCookieName(t.tenant.slug)}=${m.headers.authorization.slice(7)}` };
    const { c } = await couponCampaign({ cities: ["成都"] }, t);
    expectRefused(await claimAs(c.id, m.headers), "city");
    const bad = await api(`/shop/${t.tenant.slug}/member/city`, { method: "PUT", headers: cookie, json: { city: "" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("json.city");
    const set = await api(`/shop/${t.tenant.slug}/member/city`, { method: "PUT", headers: cookie, json: { city: "成都" } });
    expect(set.status).toBe(200);
    expect(set.body.member.city).toBe("成都");
    expect((await claimAs(c.id, m.headers)).status).toBe(200);
  });
});
