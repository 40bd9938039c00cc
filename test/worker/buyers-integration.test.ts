import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant, otpIn, recordedEvents } from "./helpers";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { currentConsentVersion } from "../../schema/privacy";

const consent = { version: currentConsentVersion("phone_sign_in"), accepted: true };

async function lastCode(slug: string, phone: string): Promise<string> {
  const r = await shop(slug, `/dev/sms?phone=${phone}`);
  return otpIn(r.body.messages);
}

describe("buyers: phone OTP and guest checkout", { timeout: 60_000 }, () => {
  it("codes are hashed, throttled, attempt-limited and single-use", async () => {
    const { tenant } = await createTenant();
    const phone = "13912345678";
    expect((await shop(tenant.slug, "/otp", { method: "POST", json: { phone: "12345" } })).body.error.issues[0].path).toBe("json.phone");
    expect((await shop(tenant.slug, "/otp", { method: "POST", json: { phone: `+86 ${phone}` } })).status).toBe(200);
    const again = await shop(tenant.slug, "/otp", { method: "POST", json: { phone } });
    expect(again.status).toBe(429);
    const code = await lastCode(tenant.slug, phone);
    const stored = await env.DB.prepare("SELECT code_hash FROM otp_codes WHERE tenant_id = ?").bind(tenant.id).first<{ code_hash: string }>();
    expect(stored!.code_hash).not.toContain(code);

    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect((await shop(tenant.slug, "/otp/verify", { method: "POST", json: { phone, code: wrong, consent } })).status).toBe(400);
    // locked now: even the right code is refused until a new one is requested
    expect((await shop(tenant.slug, "/otp/verify", { method: "POST", json: { phone, code, consent } })).status).toBe(429);

    await env.DB.prepare("UPDATE otp_codes SET created_at = '2000-01-01T00:00:00.000Z' WHERE tenant_id = ?").bind(tenant.id).run();
    expect((await shop(tenant.slug, "/otp", { method: "POST", json: { phone } })).status).toBe(200);
    const fresh = await lastCode(tenant.slug, phone);
    const ok = await shop(tenant.slug, "/otp/verify", { method: "POST", json: { phone, code: fresh, consent } });
    expect(ok.status).toBe(200);
    expect(ok.body.buyer).toMatchObject({ kind: "phone", phoneMasked: "139****5678" });
    expect((await shop(tenant.slug, "/otp/verify", { method: "POST", json: { phone, code: fresh, consent } })).status).toBe(400);
  });

  it("an expired code is refused", async () => {
    const { tenant } = await createTenant();
    await shop(tenant.slug, "/otp", { method: "POST", json: { phone: "13700000001" } });
    const code = await lastCode(tenant.slug, "13700000001");
    await env.DB.prepare("UPDATE otp_codes SET expires_at = '2000-01-01T00:00:00.000Z' WHERE tenant_id = ?").bind(tenant.id).run();
    const r = await shop(tenant.slug, "/otp/verify", { method: "POST", json: { phone: "13700000001", code, consent } });
    expect(r.body.error.code).toBe("otp_invalid");
  });

  it("a guest's orders and vouchers follow it into the phone account; cookies are tamper-proof and per store", async () => {
    const { slug, productId } = await shopWithKeys(2);
    const o = await shop(slug, "/orders", { method: "POST", idem: "guest-buy-1", json: { productId } });
    await pay(o.body.checkoutUrl);
    const guestCookie = o.cookie!;
    await shop(slug, "/otp", { method: "POST", json: { phone: "13600000002" } });
    const code = await lastCode(slug, "13600000002");
    const signedIn = await shop(slug, "/otp/verify", { method: "POST", cookie: guestCookie, json: { phone: "13600000002", code, consent } });
    const phoneCookie = signedIn.cookie!;
    expect(phoneCookie).not.toBe(guestCookie);
    const mine = await shop(slug, "/vouchers", { cookie: phoneCookie });
    expect(mine.body.vouchers).toHaveLength(1);
    expect(mine.body.vouchers[0].secret).toMatch(/^KEY-/);
    // the old guest cookie now resolves to the same account
    expect((await shop(slug, "/vouchers", { cookie: guestCookie })).body.vouchers).toHaveLength(1);
    // The order page reads the buyer with the order: both cookies see it (the guest is the account it merged into),
    // another buyer is told it does not exist, and a forged or absent session is told to sign in.
    for (const cookie of [phoneCookie, guestCookie]) {
      const view = await shop(slug, `/orders/${o.body.id}`, { cookie });
      expect([view.status, view.body.vouchers?.[0]?.secret]).toEqual([200, mine.body.vouchers[0].secret]);
    }
    const stranger = (await shop(slug, "/guest", { method: "POST", json: {} })).cookie!;
    expect((await shop(slug, `/orders/${o.body.id}`, { cookie: stranger })).status).toBe(404);
    expect((await shop(slug, `/orders/${o.body.id}`, { cookie: phoneCookie.replace(/.$/, (ch) => (ch === "a" ? "b" : "a")) })).status).toBe(401);
    expect((await shop(slug, `/orders/${o.body.id}`)).body.error.code).toBe("unauthorized");

    const tampered = phoneCookie.replace(/.$/, (ch) => (ch === "a" ? "b" : "a"));
    expect((await shop(slug, "/vouchers", { cookie: tampered })).status).toBe(401);
    const other = await createTenant();
    const [name, value] = phoneCookie.split("=");
    const moved = `${name!.replace(slug.replace(/-/g, "_"), other.tenant.slug.replace(/-/g, "_"))}=${value}`;
    expect((await shop(other.tenant.slug, "/vouchers", { cookie: moved })).status).toBe(401);
  });

  it("a guest who signs in with a new phone becomes that account: one id for limits and analytics", async () => {
    const { slug, tenant, adminKey } = await shopWithKeys(0);
    const campaign = await liveCampaign(adminKey, { kind: "coupon_claim", name: "新人券", productId: await couponProductOf(tenant.id), stock: 10, perUserLimit: 1, shards: 1 });
    const guest = await shop(slug, "/guest", { method: "POST", json: {} });
    const guestId = (await shop(slug, "/me", { cookie: guest.cookie })).body.buyer.id as string;
    expect((await api(`/public/campaigns/${campaign.id}/claims`, { method: "POST", headers: { cookie: guest.cookie! }, json: {} })).status).toBe(200);
    await shop(slug, "/otp", { method: "POST", json: { phone: "13600000003" } });
    const signedIn = await shop(slug, "/otp/verify", { method: "POST", cookie: guest.cookie, json: { phone: "13600000003", code: await lastCode(slug, "13600000003"), consent } });
    expect(signedIn.body.buyer).toMatchObject({ id: guestId, kind: "phone" });
    // The per-person limit still holds after signing in (a second id would have claimed again).
    const again = await api(`/public/campaigns/${campaign.id}/claims`, { method: "POST", headers: { cookie: signedIn.cookie! }, json: {} });
    expect(again.body.error?.code).toBe("limit_reached");
    // One sign-up for the person, under the id every later event carries; nothing to link.
    const events = await recordedEvents(tenant.id);
    expect(events.filter((e) => e.type === "user_signed_up").map((e) => e.actor.userId)).toEqual([guestId]);
    expect(events.filter((e) => e.type === "guest_attached")).toEqual([]);
    expect(events.filter((e) => e.type === "buyer_signed_in").map((e) => e.actor.userId)).toEqual([guestId]);
  });
});
