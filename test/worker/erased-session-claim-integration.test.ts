import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { currentConsentVersion } from "../../schema/privacy";
import { BLOCK_CACHE_MS } from "../../worker/services/blocklist";
import { runErasures } from "../../worker/services/erasure";
import { api, createTenant, otpIn } from "./helpers";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { shop } from "./commerce-helpers";

/** Signs in by phone (OTP, consent) and returns the shop cookie. */
async function signUp(slug: string, phone: string) {
  expect((await shop(slug, "/otp", { method: "POST", json: { phone } })).status).toBe(200);
  const code = otpIn((await shop(slug, `/dev/sms?phone=${phone}`)).body.messages);
  const r = await shop(slug, "/otp/verify", { method: "POST", json: { phone, code, consent: { version: currentConsentVersion("phone_sign_in"), accepted: true } } });
  expect(r.status).toBe(200);
  return { cookie: r.cookie!, buyerId: r.body.buyer.id as string };
}

/** The widget's way in: the session route turns the shop cookie into a Bearer token for the campaign's brand. */
async function bearerOf(campaignId: string, cookie: string) {
  const s = await api(`/public/campaigns/${campaignId}/session`, { method: "POST", headers: { cookie } });
  expect(s.status).toBe(200);
  return s.body as { userId: string; token: string };
}

const claimWith = (campaignId: string, token: string) =>
  api(`/public/campaigns/${campaignId}/claims`, { method: "POST", token, headers: { "cf-connecting-ip": `10.9.${Math.floor(Math.random() * 250)}.1` }, json: {} });

describe("an erased buyer's session token on the claim fast path", { timeout: 60_000 }, () => {
  it("is refused with 401 at once after the erasure, and still after the cron's scrub; another buyer still claims", async () => {
    const { tenant, adminKey } = await createTenant("Erased claims");
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId: await couponProductOf(tenant.id), stock: 20, perUserLimit: 5, shards: 1 });
    const a = await signUp(tenant.slug, "13800000301");
    const b = await signUp(tenant.slug, "13800000302");
    const aToken = await bearerOf(c.id, a.cookie);
    const bToken = await bearerOf(c.id, b.cookie);
    expect(aToken.userId).toBe(a.buyerId);

    // Before the erasure the token claims (and the tenant's set of ended sessions is now cached, empty, in this isolate).
    expect((await claimWith(c.id, aToken.token)).status).toBe(200);

    expect((await shop(tenant.slug, "/me/erasure", { method: "POST", cookie: a.cookie, json: { confirm: "ERASE" } })).status).toBe(202);
    const refused = await claimWith(c.id, aToken.token);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe("This session has ended; start a new one (POST /public/campaigns/{id}/session)");
    // The same words as the routes off the fast path (liveClaimant).
    const standing = await api(`/public/campaigns/${c.id}/users/${a.buyerId}`, { token: aToken.token });
    expect(standing.status).toBe(401);
    expect(standing.body.error.message).toBe(refused.body.error.message);

    expect((await claimWith(c.id, bToken.token)).status).toBe(200);

    // The scrub replaces the id with the pseudonym everywhere: the old token names no buyer row, and is still refused.
    expect(await runErasures(env)).toMatchObject({ scrubbed: 1 });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM buyers WHERE id = ?").bind(a.buyerId).first("n")).toBe(0);
    expect((await claimWith(c.id, aToken.token)).status).toBe(401);
    expect((await claimWith(c.id, bToken.token)).status).toBe(200);
  });

  it("an erasure recorded by another isolate is refused here once the cached set lapses (BLOCK_CACHE_MS)", async () => {
    const { tenant, adminKey } = await createTenant("Erased elsewhere");
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId: await couponProductOf(tenant.id), stock: 20, perUserLimit: 5, shards: 1 });
    const a = await signUp(tenant.slug, "13800000303");
    const aToken = await bearerOf(c.id, a.cookie);
    expect((await claimWith(c.id, aToken.token)).status).toBe(200);
    // What the erasure request's batch writes, done without this isolate hearing of it.
    await env.DB.prepare("INSERT INTO ended_sessions (tenant_id, buyer_id, until) VALUES (?, ?, ?)").bind(tenant.id, a.buyerId, new Date(Date.now() + 86_400_000).toISOString()).run();
    expect((await claimWith(c.id, aToken.token)).status).toBe(200);
    const now = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => now + BLOCK_CACHE_MS + 1);
    try {
      expect((await claimWith(c.id, aToken.token)).status).toBe(401);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
