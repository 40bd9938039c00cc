import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { shop } from "./commerce-helpers";
import { api, createTenant, otpIn } from "./helpers";
import { hmacSha256Hex } from "../../worker/domain/crypto";
import { signSession } from "../../worker/domain/buyer-session";
import { signMemberToken } from "../../worker/domain/member-token";
import { currentConsentVersion } from "../../schema/privacy";

const consent = { version: currentConsentVersion("phone_sign_in"), accepted: true };

let seq = 0;
const ip = () => `198.18.${seq % 200}.${(seq++ % 250) + 1}`;

async function campaign(rules: Record<string, unknown>) {
  const { adminKey, tenant } = await createTenant();
  const productId = await couponProductOf(tenant.id);
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "entry", productId, stock: 100, perUserLimit: 1, shards: 2, ...rules });
  return { c, tenant, adminKey };
}

const claimWith = (campaignId: string, headers: Record<string, string>) =>
  api(`/public/campaigns/${campaignId}/claims`, { method: "POST", headers: { "cf-connecting-ip": ip(), ...headers }, json: {} });

const widgetSession = (campaignId: string, json: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { "cf-connecting-ip": ip(), ...headers }, json });

async function signIn(slug: string, phone: string, cookie?: string) {
  await shop(slug, "/otp", { method: "POST", json: { phone } });
  const sms = await shop(slug, `/dev/sms?phone=${phone}`);
  const code = otpIn(sms.body.messages);
  const res = await shop(slug, "/otp/verify", { method: "POST", json: { phone, code, consent }, cookie });
  expect(res.status).toBe(200);
  return res.cookie!;
}

describe("campaign entry rules, carried in the signed session", () => {
  it("stores the rules with the campaign (definition and D1 columns) and refuses bad values with field paths", async () => {
    const { c, tenant } = await campaign({ entry: "phone", minAccountAgeMinutes: 30, perIpLimit: 5 });
    const row = await env.DB.prepare("SELECT entry, min_account_age_minutes FROM campaigns WHERE id = ?").bind(c.id).first();
    expect(row).toEqual({ entry: "phone", min_account_age_minutes: 30 });
    const pub = await api(`/public/campaigns/${c.id}`);
    expect(pub.body).toMatchObject({ entry: "phone", minAccountAgeMinutes: 30, perIpLimit: 5, perDeviceLimit: null, perPhoneLimit: null });
    const { adminKey } = await createTenant();
    const bad = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "coupon_claim", name: "x", productId: "p", stock: 1, startsAt: new Date(Date.now() + 60_000).toISOString(), endsAt: new Date(Date.now() + 120_000).toISOString(), entry: "vip", perIpLimit: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.entry", "json.perIpLimit"]);
    void tenant;
  });

  it("phone: a guest gets 403 phone_required; after the OTP sign-in the same browser claims with no other step", async () => {
    const { c, tenant } = await campaign({ entry: "phone" });
    const guest = await shop(tenant.slug, "/guest", { method: "POST" });
    const refused = await claimWith(c.id, { cookie: guest.cookie! });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("phone_required");
    const signedIn = await signIn(tenant.slug, "13800138000", guest.cookie);
    const ok = await claimWith(c.id, { cookie: signedIn });
    expect(ok.status).toBe(200);
    // The fact is in the token, tamper-evident: a guest token with its flag turned to "p" does not verify.
    const forged = decodeURIComponent(guest.cookie!.split("=")[1]!).replace(/\.g(\d+)\./, ".p$1.");
    expect((await claimWith(c.id, { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  it("phone: a widget visitor who signs in on the store (its 去验证 link) gets a renewed widget session that claims", async () => {
    const { c, tenant } = await campaign({ entry: "phone" });
    const widget = (await widgetSession(c.id)).body;
    expect((await claimWith(c.id, { authorization: `Bearer ${widget.token}` })).body.error.code).toBe("phone_required");
    // The link carries the widget's session: the store continues as that visitor, who signs in with a phone there.
    const taken = await shop(tenant.slug, "/session", { method: "POST", json: { token: widget.token } });
    expect(taken.status).toBe(200);
    await signIn(tenant.slug, "13800138021", taken.cookie);
    // Back on the brand's page the widget asks again with the token it kept: the answer is the account as it is now.
    const renewed = await widgetSession(c.id, {}, { authorization: `Bearer ${widget.token}` });
    expect(renewed.body).toMatchObject({ userId: widget.userId, phoneVerified: true });
    expect((await claimWith(c.id, { authorization: `Bearer ${renewed.body.token}` })).status).toBe(200);
  });

  it("cool-down: an account younger than minAccountAgeMinutes gets 403 account_too_new with Retry-After; an older one claims", async () => {
    const { c, tenant } = await campaign({ minAccountAgeMinutes: 10 });
    const fresh = await widgetSession(c.id);
    const refused = await claimWith(c.id, { authorization: `Bearer ${fresh.body.token}` });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("account_too_new");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(590);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(600);
    const old = await signSession(env.BUYER_SESSION_SECRET, tenant.id, "old-buyer", undefined, { phone: false, member: false, createdS: Math.floor(Date.now() / 1000) - 11 * 60 });
    expect((await claimWith(c.id, { authorization: `Bearer ${old}` })).status).toBe(200);
  });

  it("a session token of the first format (no facts) still verifies: the buyer row decides, once", async () => {
    const { c, tenant } = await campaign({ minAccountAgeMinutes: 10 });
    const v1 = async (buyerId: string) => {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      return `${buyerId}.${exp}.${await hmacSha256Hex(env.BUYER_SESSION_SECRET, `buyer|${tenant.id}|${buyerId}|${exp}`)}`;
    };
    const young = await shop(tenant.slug, "/guest", { method: "POST" });
    const youngRes = await claimWith(c.id, { authorization: `Bearer ${await v1(young.body.buyer.id)}` });
    expect(youngRes.body.error.code).toBe("account_too_new");
    const aged = await shop(tenant.slug, "/guest", { method: "POST" });
    await env.DB.prepare("UPDATE buyers SET created_at = '2026-01-01T00:00:00.000Z' WHERE id = ?").bind(aged.body.buyer.id).run();
    expect((await claimWith(c.id, { authorization: `Bearer ${await v1(aged.body.buyer.id)}` })).status).toBe(200);
  });

  it("member: a guest gets 403 member_required; a brand member token's session claims as the member", async () => {
    const { c, tenant, adminKey } = await campaign({ entry: "member" });
    const guest = await widgetSession(c.id);
    expect((await claimWith(c.id, { authorization: `Bearer ${guest.body.token}` })).body.error.code).toBe("member_required");
    const secret = await api("/tenant/member-token-secret", { method: "POST", token: adminKey, json: {} });
    expect(secret.status).toBe(201);
    expect(secret.body.audience).toBe(tenant.slug);
    const token = await signMemberToken(secret.body.secret, tenant.slug, "M-1001", Math.floor(Date.now() / 1000) + 600);
    const member = await widgetSession(c.id, { memberToken: token });
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({ memberId: "M-1001", phoneVerified: false });
    const ok = await claimWith(c.id, { authorization: `Bearer ${member.body.token}` });
    expect(ok.status).toBe(200);
    // The same member from another browser is the same buyer: limits and rewards bind to the member.
    const again = await widgetSession(c.id, { memberToken: token });
    expect(again.body.userId).toBe(member.body.userId);
    expect((await claimWith(c.id, { authorization: `Bearer ${again.body.token}` })).body.error.code).toBe("limit_reached");
    const row = await env.DB.prepare("SELECT member_id, kind FROM buyers WHERE id = ?").bind(member.body.userId).first();
    expect(row).toEqual({ member_id: "M-1001", kind: "guest" });
    const stored = await env.DB.prepare("SELECT secret_sealed FROM member_token_secrets WHERE tenant_id = ?").bind(tenant.id).first<{ secret_sealed: string }>();
    expect(stored!.secret_sealed).not.toContain(secret.body.secret);
  });
});

describe("brand member tokens", () => {
  it("refuses expired, wrong-audience, forged and malformed tokens with 401 and a clear code", async () => {
    const { c, tenant, adminKey } = await campaign({});
    const none = await widgetSession(c.id, { memberToken: await signMemberToken("x", tenant.slug, "M1", Math.floor(Date.now() / 1000) + 60) });
    expect([none.status, none.body.error.code]).toEqual([401, "member_tokens_disabled"]);
    const { secret } = (await api("/tenant/member-token-secret", { method: "POST", token: adminKey, json: {} })).body;
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string][] = [
      [await signMemberToken(secret, tenant.slug, "M1", now - 1), "member_token_expired"],
      [await signMemberToken(secret, "another-brand", "M1", now + 60), "member_token_audience"],
      [await signMemberToken("not-the-secret", tenant.slug, "M1", now + 60), "member_token_invalid"],
      ["kqm1.bm90LWpzb24.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "member_token_invalid"],
    ];
    for (const [token, code] of cases) {
      const res = await widgetSession(c.id, { memberToken: token });
      expect([res.status, res.body.error.code], token).toEqual([401, code]);
    }
  });

  it("rotation: the previous secret verifies during the overlap, then no more; the secret is admin-only", async () => {
    const { c, tenant, adminKey } = await campaign({});
    const first = (await api("/tenant/member-token-secret", { method: "POST", token: adminKey, json: {} })).body.secret;
    const exp = Math.floor(Date.now() / 1000) + 600;
    const oldToken = await signMemberToken(first, tenant.slug, "M2", exp);
    const rotated = await api("/tenant/member-token-secret", { method: "POST", token: adminKey, json: { overlapMinutes: 30 } });
    expect(rotated.body.previousValidUntil).not.toBeNull();
    expect((await widgetSession(c.id, { memberToken: oldToken })).status).toBe(200);
    expect((await widgetSession(c.id, { memberToken: await signMemberToken(rotated.body.secret, tenant.slug, "M2", exp) })).status).toBe(200);
    await api("/tenant/member-token-secret", { method: "POST", token: adminKey, json: { overlapMinutes: 0 } });
    expect((await widgetSession(c.id, { memberToken: await signMemberToken(rotated.body.secret, tenant.slug, "M2", exp) })).body.error.code).toBe("member_token_invalid");
    const key = await api("/keys", { method: "POST", token: adminKey, json: { name: "ops", scopes: ["operator"] } });
    expect((await api("/tenant/member-token-secret", { method: "POST", token: key.body.secret, json: {} })).status).toBe(403);
  });
});

describe("signed device identity", () => {
  it("the widget session returns a device token and keeps it; a made-up one is replaced", async () => {
    const { c } = await campaign({});
    const s = await widgetSession(c.id);
    expect(s.body.deviceToken).toMatch(/^dv_[A-Za-z0-9]{20}\.[0-9a-f]{32}$/);
    const again = await widgetSession(c.id, {}, { authorization: `Bearer ${s.body.token}`, "x-device-id": s.body.deviceToken });
    expect(again.body.deviceToken).toBe(s.body.deviceToken);
    const picked = await widgetSession(c.id, {}, { "x-device-id": "d_i_chose_this" });
    expect(picked.body.deviceToken).toMatch(/^dv_/);
  });

  it("our pages get the kq_dev_<tenant> cookie with a new session (after the session cookie) and from POST /shop/{tenant}/device", async () => {
    const { tenant } = await createTenant();
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch(`http://kaquan.test/api/v1/shop/${tenant.slug}/guest`, { method: "POST", headers: { "cf-connecting-ip": ip() } });
    const cookies = res.headers.getSetCookie();
    expect(cookies[0]).toMatch(/^kq_buyer_/);
    expect(cookies[1]).toMatch(new RegExp(`^kq_dev_${tenant.slug.replace(/[^a-z0-9]/g, "_")}=dv_`));
    expect(cookies[1]).toContain("HttpOnly");
    const bound = await exports.default.fetch(`http://kaquan.test/api/v1/shop/${tenant.slug}/device`, { method: "POST", headers: { cookie: cookies[1]!.split(";")[0]! } });
    expect(bound.headers.getSetCookie()).toEqual([]);
    const fresh = await exports.default.fetch(`http://kaquan.test/api/v1/shop/${tenant.slug}/device`, { method: "POST" });
    expect(fresh.headers.getSetCookie()[0]).toMatch(/^kq_dev_/);
  });
});
