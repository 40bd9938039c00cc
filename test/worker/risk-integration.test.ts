import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signSession } from "../../worker/domain/buyer-session";
import { newId } from "../../worker/domain/crypto";
import { powResponse, puzzleFields, signPuzzle, solvePow } from "../../worker/domain/pow";
import { sandboxSecret } from "../../worker/challenge/sandbox-pow";
import { phoneHash } from "../../worker/services/buyers";
import { couponProductOf, liveCampaign, sleep } from "./campaign-helpers";
import { shop, shopWithKeys } from "./commerce-helpers";
import { api, createTenant, otpIn, PLATFORM, recordedEvents } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";
import { currentConsentVersion } from "../../schema/privacy";
import { issueDeviceToken } from "../../worker/domain/device-token";

const consent = { version: currentConsentVersion("phone_sign_in"), accepted: true };

const HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
const PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
let ipSeq = 0;
/** A fresh public-looking client IP per call (IP signals are counted per isolate across the whole file). */
const freshIp = () => `198.51.${Math.floor(++ipSeq / 250) % 250}.${ipSeq % 250}`;

async function couponCampaign() {
  const { tenant, adminKey } = await createTenant("Risk Brand");
  const productId = await couponProductOf(tenant.id);
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 500, perUserLimit: 5, shards: 2 });
  return { tenant, adminKey, campaignId: c.id };
}

async function claimAs(campaignId: string, tenantId: string, userId: string, headers: Record<string, string> = {}) {
  const token = await signSession(env.BUYER_SESSION_SECRET, tenantId, userId);
  return api(`/public/campaigns/${campaignId}/claims`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "user-agent": PHONE_UA, "accept-language": "zh-CN", "cf-connecting-ip": freshIp(), ...headers },
    json: { requestId: newId("req") },
  });
}

const solve = async (challenge: { token: string; nonce: string; difficulty: number }) => powResponse(challenge.token, await solvePow(challenge.nonce, challenge.difficulty));

describe("challenge on suspicion", () => {
  it("a headless claim is challenged, the solved puzzle lets it through with a pass, and the pass spares the next claim", async () => {
    const { tenant, adminKey, campaignId } = await couponCampaign();
    const ua = { "user-agent": HEADLESS };
    const first = await claimAs(campaignId, tenant.id, "bot-1", ua);
    expect(first.status).toBe(403);
    expect(first.body.error.code).toBe("challenge_required");
    expect(first.body.error.message).toContain("headless_ua");
    const ch = first.body.error.challenge;
    expect(ch).toMatchObject({ provider: "sandbox_pow", action: "claim", answerHeader: "X-Kaquan-Challenge" });
    expect(ch.difficulty).toBeGreaterThanOrEqual(8);
    expect(puzzleFields(ch.token)).toEqual({ nonce: ch.nonce, difficulty: ch.difficulty });

    const solved = await claimAs(campaignId, tenant.id, "bot-1", { ...ua, "x-kaquan-challenge": await solve(ch) });
    expect(solved.status).toBe(200);
    expect(solved.body.outcome).toBe("claimed");
    const pass = solved.headers.get("x-kaquan-pass");
    expect(pass).toMatch(/^kqp1\.bot-1\.\d+\.[0-9a-f]{64}$/);

    // The pass: no second challenge for this buyer; another buyer cannot use it.
    const again = await claimAs(campaignId, tenant.id, "bot-1", { ...ua, "x-kaquan-pass": pass! });
    expect(again.status).toBe(200);
    const other = await claimAs(campaignId, tenant.id, "bot-2", { ...ua, "x-kaquan-pass": pass! });
    expect(other.body.error.code).toBe("challenge_required");

    const events = (await recordedEvents(tenant.id)).filter((e) => e.type === "risk_decision");
    expect(events.some((e) => e.payload.decision === "challenged" && String(e.payload.reasons).includes("headless_ua"))).toBe(true);
    expect(events.some((e) => e.payload.decision === "allowed" && String(e.payload.reasons).includes("challenge_passed"))).toBe(true);
    const summary = await api(`/campaigns/${campaignId}/risk`, { token: adminKey });
    expect(summary.status).toBe(200);
    expect(summary.body.decisions.challenged).toBeGreaterThanOrEqual(1);
    expect(summary.body.decisions.allowed).toBeGreaterThanOrEqual(1);
    expect(summary.body.topReasons.map((r: { reason: string }) => r.reason)).toContain("headless_ua");
  });

  it("a replayed, forged, wrong or expired answer is refused with a new challenge", async () => {
    const { tenant, campaignId } = await couponCampaign();
    const risky = { "user-agent": HEADLESS, "x-kaquan-webdriver": "1" };
    const ch = (await claimAs(campaignId, tenant.id, "r-1", risky)).body.error.challenge;
    const answer = await solve(ch);
    expect((await claimAs(campaignId, tenant.id, "r-1", { ...risky, "x-kaquan-challenge": answer })).status).toBe(200);

    const replay = await claimAs(campaignId, tenant.id, "r-2", { ...risky, "x-kaquan-challenge": answer });
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe("challenge_invalid");
    expect(replay.body.error.message).toContain("timeout-or-duplicate");
    expect(replay.body.error.challenge.token).not.toBe(ch.token);

    // Forged: the puzzle rewritten to difficulty 1 (its signature no longer fits).
    const ch2 = (await claimAs(campaignId, tenant.id, "r-3", risky)).body.error.challenge;
    const [, body, sig] = ch2.token.split(".");
    const easier = JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/")));
    easier.difficulty = 1;
    const forged = `pow1.${btoa(JSON.stringify(easier)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.${sig}`;
    const forgedRes = await claimAs(campaignId, tenant.id, "r-3", { ...risky, "x-kaquan-challenge": powResponse(forged, await solvePow(easier.nonce, 1)) });
    expect(forgedRes.body.error.code).toBe("challenge_invalid");
    expect(forgedRes.body.error.message).toContain("invalid-input-response");

    // A counter that does not meet the difficulty.
    let wrong = 0;
    while ((await import("../../worker/domain/pow")).leadingZeroBits(await (await import("../../worker/domain/pow")).powDigest(ch2.nonce, wrong)) >= ch2.difficulty) wrong++;
    const wrongRes = await claimAs(campaignId, tenant.id, "r-3", { ...risky, "x-kaquan-challenge": powResponse(ch2.token, wrong) });
    expect(wrongRes.body.error.code).toBe("challenge_invalid");

    // Expired: a genuine signed puzzle whose time is up.
    const now = Math.floor(Date.now() / 1000);
    const old = { nonce: "00112233445566778899aabbccddeeff", tenantId: tenant.id, cdata: campaignId, action: "claim", difficulty: 4, issuedAt: now - 300, expiresAt: now - 60 };
    const expiredToken = await signPuzzle(sandboxSecret(env), old);
    const expired = await claimAs(campaignId, tenant.id, "r-3", { ...risky, "x-kaquan-challenge": powResponse(expiredToken, await solvePow(old.nonce, 4)) });
    expect(expired.body.error.code).toBe("challenge_invalid");
    expect(expired.body.error.message).toContain("timeout-or-duplicate");

    // A puzzle solved for another campaign is not accepted here.
    const elsewhere = { ...old, cdata: "cmp_other", issuedAt: now, expiresAt: now + 60 };
    const elsewhereRes = await claimAs(campaignId, tenant.id, "r-3", { ...risky, "x-kaquan-challenge": powResponse(await signPuzzle(sandboxSecret(env), elsewhere), await solvePow(old.nonce, 4)) });
    expect(elsewhereRes.body.error.code).toBe("challenge_invalid");
  });

  it("a burst from one IP and many new accounts on one IP are challenged; one person's claims are not", async () => {
    const { tenant, campaignId } = await couponCampaign();
    const ip = freshIp();
    // One account, fresh devices, one IP: only the rate is odd.
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => claimAs(campaignId, tenant.id, "burst", { "cf-connecting-ip": ip, "x-device-id": `dev-burst-${i}` })));
    const challenged = burst.filter((r) => r.body?.error?.code === "challenge_required");
    expect(challenged.length).toBeGreaterThanOrEqual(3);
    for (const r of challenged) expect(r.body.error.message).toBe("Confirm you are a person first (burst_ip)");

    const shared = freshIp();
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await claimAs(campaignId, tenant.id, `farm-${i}`, { "cf-connecting-ip": shared, "x-device-id": `dev-farm-${i}` });
      codes.push(r.status === 200 ? "ok" : r.body.error.code);
      if (r.status !== 200) expect(r.body.error.message).toContain("many_accounts_new_device");
      await sleep(260);
    }
    expect(codes.slice(0, 4)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(codes.slice(4)).toEqual(["challenge_required", "challenge_required"]);

    // A normal visitor: a phone browser, one device, a few taps spaced out.
    for (let i = 0; i < 3; i++) expect((await claimAs(campaignId, tenant.id, "person", { "x-device-id": "dev-person" })).status).toBe(200);
  });

  it("a farm rotating through the addresses of one IPv6 /64 is one IP: its burst and its many accounts are challenged", async () => {
    const { tenant, campaignId } = await couponCampaign();
    // Any home line or VPS is given a /64: a script may send every request from another address in it.
    let n = 0;
    const in64 = (prefix: string) => `${prefix}:${(++n).toString(16)}:${Math.floor(Math.random() * 65535).toString(16)}:0:1`;
    const burst = await Promise.all(Array.from({ length: 8 }, () => claimAs(campaignId, tenant.id, "burst6", { "cf-connecting-ip": in64("2001:db8:51:1") })));
    const challenged = burst.filter((r) => r.body?.error?.code === "challenge_required");
    expect(challenged.length).toBeGreaterThanOrEqual(3);
    for (const r of challenged) expect(r.body.error.message).toContain("burst_ip");

    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await claimAs(campaignId, tenant.id, `farm6-${i}`, { "cf-connecting-ip": in64("2001:db8:51:2") });
      codes.push(r.status === 200 ? "ok" : r.body.error.code);
      if (r.status !== 200) expect(r.body.error.message).toContain("many_accounts_new_device");
      await sleep(260);
    }
    expect(codes).toEqual(["ok", "ok", "ok", "ok", "challenge_required", "challenge_required"]);
    // Another /64 is another client.
    expect((await claimAs(campaignId, tenant.id, "neighbour6", { "cf-connecting-ip": in64("2001:db8:51:3") })).status).toBe(200);
  });

  it("one device claiming for many accounts is challenged, whatever IPs they come from", async () => {
    const { tenant, campaignId } = await couponCampaign();
    const { token: device } = await issueDeviceToken(env.BUYER_SESSION_SECRET, tenant.id);
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await claimAs(campaignId, tenant.id, `onedev-${i}`, { "x-device-id": device });
      codes.push(r.status === 200 ? "ok" : r.body.error.code);
      if (r.status !== 200) expect(r.body.error.message).toContain("many_accounts_device");
      await sleep(260);
    }
    expect(codes).toEqual(["ok", "ok", "ok", "ok", "challenge_required", "challenge_required"]);
  });
});

describe("the risk view's counts", () => {
  it("add up to every decision: a burst's folded tail and a quiet campaign's allowed claims (fewer than a sample) are written", async () => {
    const { tenant, adminKey, campaignId } = await couponCampaign();
    // 7 headless claims at once: one row, then the rest folded (FOLD_MS) — nothing follows to carry their weight.
    const refused = await Promise.all(Array.from({ length: 7 }, (_, i) => claimAs(campaignId, tenant.id, `tail-${i}`, { "user-agent": HEADLESS })));
    expect(refused.map((r) => r.body.error?.code)).toEqual(Array(7).fill("challenge_required"));
    // 3 plain claims: below RISK_ALLOWED_SAMPLE (50), so no sample row would ever be due.
    for (const u of ["ok-1", "ok-2", "ok-3"]) expect((await claimAs(campaignId, tenant.id, u)).status).toBe(200);
    await sleep(1_300);
    const summary = await api(`/campaigns/${campaignId}/risk`, { token: adminKey });
    expect(summary.body.decisions).toEqual({ allowed: 3, limited: 0, challenged: 7, blocked: 0 });
    const events = (await recordedEvents(tenant.id)).filter((e) => e.type === "risk_decision");
    const weigh = (d: string) => events.filter((e) => e.payload.decision === d).reduce((n, e) => n + Number(e.payload.weight), 0);
    expect([weigh("allowed"), weigh("challenged")]).toEqual([3, 7]);
  });
});

describe("block lists", () => {
  it("validates entries with field paths and keeps phones as a keyed hash", async () => {
    const { tenant, adminKey } = await createTenant("Block Brand");
    const bad = await api("/blocklist", { method: "POST", token: adminKey, json: { kind: "ip", value: "10.0.0.0/33", reason: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("json.value");
    const badPhone = await api("/blocklist", { method: "POST", token: adminKey, json: { kind: "phone", value: "12345", reason: "x" } });
    expect(badPhone.body.error.issues[0].path).toBe("json.value");
    const v6 = await api("/blocklist", { method: "POST", token: adminKey, json: { kind: "ip", value: "2001:DB8:0:0:1::5/48", reason: "scalper farm" } });
    expect(v6.status).toBe(201);
    expect(v6.body.value).toBe("2001:db8::/48");
    const phone = await api("/blocklist", { method: "POST", token: adminKey, json: { kind: "phone", value: "+86 13800138000", reason: "黄牛" } });
    expect(phone.body).toMatchObject({ kind: "phone", value: "138****8000", scope: "tenant", active: true });
    const row = await env.DB.prepare("SELECT value FROM block_entries WHERE id = ?").bind(phone.body.id).first<{ value: string }>();
    expect(row!.value).toBe(await phoneHash(env, "13800138000"));
    expect(JSON.stringify(await env.DB.prepare("SELECT * FROM block_entries WHERE tenant_id = ?").bind(tenant.id).all())).not.toContain("13800138000");
    const list = await api("/blocklist", { token: adminKey });
    expect(list.body.entries).toHaveLength(2);
  });

  it("each kind is enforced on claims, with expiry honoured and the decision recorded", async () => {
    const { tenant, adminKey, campaignId } = await couponCampaign();
    const block = (kind: string, value: string, expiresAt?: string) => api("/blocklist", { method: "POST", token: adminKey, json: { kind, value, reason: "test", ...(expiresAt ? { expiresAt } : {}) } });

    // Devices are the worker-signed device tokens' ids (a raw header is no device at all).
    const [banned, fine, timed] = await Promise.all([1, 2, 3].map(() => issueDeviceToken(env.BUYER_SESSION_SECRET, tenant.id)));
    const dev = await block("device", banned!.deviceId);
    expect((await claimAs(campaignId, tenant.id, "b-1", { "x-device-id": banned!.token })).body.error.code).toBe("blocked");
    expect((await claimAs(campaignId, tenant.id, "b-1", { "x-device-id": fine!.token })).status).toBe(200);

    // Blocked decisions of one campaign less than FOLD_MS (50 ms) apart fold into one event: each kind's first is apart.
    const apart = () => new Promise((r) => setTimeout(r, 60));
    await block("ip", "203.0.113.0/24");
    await apart();
    expect((await claimAs(campaignId, tenant.id, "b-2", { "cf-connecting-ip": "203.0.113.77" })).body.error.code).toBe("blocked");
    expect((await claimAs(campaignId, tenant.id, "b-2", { "cf-connecting-ip": "::ffff:203.0.113.9" })).body.error.code).toBe("blocked");
    await block("ip", "2001:db8:aa::/48");
    expect((await claimAs(campaignId, tenant.id, "b-2", { "cf-connecting-ip": "2001:db8:aa:1::9" })).body.error.code).toBe("blocked");
    expect((await claimAs(campaignId, tenant.id, "b-2", { "cf-connecting-ip": "2001:db8:ab::9" })).status).toBe(200);

    // A phone account, and a guest merged into it: both sessions are refused.
    const ph = await phoneHash(env, "13900139000");
    await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, phone_hash, phone_masked) VALUES ('byr_phone_b3', ?, 'phone', ?, '139****9000')").bind(tenant.id, ph).run();
    await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, merged_into) VALUES ('byr_guest_b3', ?, 'guest', 'byr_phone_b3')").bind(tenant.id).run();
    await block("phone", "13900139000");
    await apart();
    expect((await claimAs(campaignId, tenant.id, "byr_phone_b3")).body.error.code).toBe("blocked");
    expect((await claimAs(campaignId, tenant.id, "byr_guest_b3")).body.error.code).toBe("blocked");

    // Expiry: a lifted (expired) entry stops applying at once; a timed one lapses by itself.
    const lifted = await api(`/blocklist/${dev.body.id}`, { method: "PATCH", token: adminKey, json: { expiresAt: new Date(Date.now() - 1000).toISOString() } });
    expect(lifted.body.active).toBe(false);
    expect((await claimAs(campaignId, tenant.id, "b-1", { "x-device-id": banned!.token })).status).toBe(200);
    await block("device", timed!.deviceId, new Date(Date.now() + 1500).toISOString());
    expect((await claimAs(campaignId, tenant.id, "b-4", { "x-device-id": timed!.token })).body.error.code).toBe("blocked");
    await sleep(1700);
    expect((await claimAs(campaignId, tenant.id, "b-4", { "x-device-id": timed!.token })).status).toBe(200);

    const decisions = (await recordedEvents(tenant.id)).filter((e) => e.type === "risk_decision" && e.payload.decision === "blocked");
    expect(new Set(decisions.map((e) => e.payload.reasons))).toEqual(new Set(["blocked_device", "blocked_ip", "blocked_phone"]));
    const summary = await api(`/campaigns/${campaignId}/risk`, { token: adminKey });
    expect(summary.body.decisions.blocked).toBeGreaterThanOrEqual(3);
  });

  it("sign-in (code sent and verified) and orders refuse a blocked phone, device or network", async () => {
    const { tenant, adminKey, slug, productId } = await shopWithKeys(3);
    const block = (kind: string, value: string) => api("/blocklist", { method: "POST", token: adminKey, json: { kind, value, reason: "test" } });
    const otpDev = await issueDeviceToken(env.BUYER_SESSION_SECRET, tenant.id);
    const otp = (phone: string, extra: { ip?: string; device?: string } = {}) =>
      shop(slug, "/otp", { method: "POST", json: { phone }, ip: extra.ip, headers: extra.device ? { "x-device-id": extra.device } : {} });

    // Verify: the code was sent before the block.
    expect((await otp("13700137000")).status).toBe(200);
    const sms = await shop(slug, "/dev/sms?phone=13700137000");
    const code = otpIn(sms.body.messages);
    await block("phone", "13700137000");
    const verify = await shop(slug, "/otp/verify", { method: "POST", json: { phone: "13700137000", code, consent } });
    expect(verify.status).toBe(403);
    expect(verify.body.error.code).toBe("blocked");
    expect((await otp("13700137000")).body.error.code).toBe("blocked");

    await block("device", otpDev.deviceId);
    expect((await otp("13600136000", { device: otpDev.token })).body.error.code).toBe("blocked");
    await block("ip", "192.0.2.0/28");
    expect((await otp("13600136000", { ip: "192.0.2.5" })).body.error.code).toBe("blocked");
    expect((await otp("13600136000", { ip: "192.0.2.17" })).status).toBe(200);

    const order = (extra: { ip?: string; device?: string; cookie?: string } = {}) =>
      shop(slug, "/orders", { method: "POST", json: { productId }, idem: newId("idem"), ip: extra.ip, cookie: extra.cookie, headers: extra.device ? { "x-device-id": extra.device } : {} });
    expect((await order({ ip: "192.0.2.3" })).body.error.code).toBe("blocked");
    expect((await order({ device: otpDev.token })).body.error.code).toBe("blocked");
    // A signed-in buyer whose phone is blocked (their session predates the block).
    const ph = await phoneHash(env, "13500135000");
    await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, phone_hash, phone_masked) VALUES ('byr_order_p', ?, 'phone', ?, '135****5000')").bind(tenant.id, ph).run();
    const cookie = `kq_buyer_${slug.replace(/[^a-z0-9]/g, "_")}=${await signSession(env.BUYER_SESSION_SECRET, tenant.id, "byr_order_p")}`;
    expect((await order({ cookie })).status).toBe(201);
    await block("phone", "13500135000");
    expect((await order({ cookie })).body.error.code).toBe("blocked");
    expect((await order()).status).toBe(201);
  });

  it("redemptions refuse a blocked holder's voucher and a blocked network", async () => {
    const { tenant, adminKey, redeemerKey, store, productId } = await redemptionBrand();
    const ph = await phoneHash(env, "13300133000");
    await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, phone_hash, phone_masked) VALUES ('byr_redeem_p', ?, 'phone', ?, '133****3000')").bind(tenant.id, ph).run();
    const held = await issue(tenant.id, productId, "byr_redeem_p");
    const free = await issue(tenant.id, productId, "byr_redeem_ok");
    await api("/blocklist", { method: "POST", token: adminKey, json: { kind: "phone", value: "13300133000", reason: "fraud" } });
    const refused = await redeemReq(redeemerKey, { code: held.code, storeId: store.id, orderAmountCents: 20000 });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("blocked");
    expect((await redeemReq(redeemerKey, { code: free.code, storeId: store.id, orderAmountCents: 20000 })).status).toBe(200);

    await api("/blocklist", { method: "POST", token: adminKey, json: { kind: "ip", value: "100.64.0.0/10", reason: "stolen terminal" } });
    const other = await issue(tenant.id, productId, "byr_redeem_ok");
    const fromBad = await api("/redemptions", { method: "POST", token: redeemerKey, headers: { "idempotency-key": newId("idem"), "cf-connecting-ip": "100.100.1.1" }, json: { code: other.code, storeId: store.id, orderAmountCents: 20000 } });
    expect(fromBad.body.error.code).toBe("blocked");
  });

  it("tenant lists are isolated; the platform list applies to every tenant and needs the platform token", async () => {
    const a = await couponCampaign();
    const b = await couponCampaign();
    const [devA, devB] = [await issueDeviceToken(env.BUYER_SESSION_SECRET, a.tenant.id), await issueDeviceToken(env.BUYER_SESSION_SECRET, b.tenant.id)];
    const entry = await api("/blocklist", { method: "POST", token: a.adminKey, json: { kind: "device", value: devA.deviceId, reason: "a only" } });
    expect((await claimAs(a.campaignId, a.tenant.id, "iso", { "x-device-id": devA.token })).body.error.code).toBe("blocked");
    expect((await claimAs(b.campaignId, b.tenant.id, "iso", { "x-device-id": devB.token })).status).toBe(200);
    expect((await api(`/blocklist/${entry.body.id}`, { token: b.adminKey })).status).toBe(404);
    expect((await api(`/blocklist/${entry.body.id}`, { method: "DELETE", token: b.adminKey })).status).toBe(404);
    expect((await api("/blocklist", { token: b.adminKey })).body.entries).toHaveLength(0);
    expect((await api(`/campaigns/${a.campaignId}/risk`, { token: b.adminKey })).status).toBe(404);

    // Platform-wide: a network seen abusing several brands (device ids are per brand, so the example is an IP range).
    expect((await api("/platform/blocklist", { method: "POST", token: a.adminKey, json: { kind: "ip", value: "198.51.100.0/24", reason: "x" } })).status).toBe(401);
    const platform = await api("/platform/blocklist", { method: "POST", token: PLATFORM, json: { kind: "ip", value: "198.51.100.0/24", reason: "botnet" } });
    expect(platform.status).toBe(201);
    expect(platform.body.scope).toBe("platform");
    expect((await claimAs(a.campaignId, a.tenant.id, "all-1", { "cf-connecting-ip": "198.51.100.7" })).body.error.code).toBe("blocked");
    expect((await claimAs(b.campaignId, b.tenant.id, "all-2", { "cf-connecting-ip": "198.51.100.8" })).body.error.code).toBe("blocked");
    expect((await api("/blocklist", { token: b.adminKey })).body.entries).toHaveLength(0);
    expect((await api(`/platform/blocklist/${platform.body.id}`, { method: "DELETE", token: PLATFORM })).status).toBe(204);
    expect((await claimAs(b.campaignId, b.tenant.id, "all-2", { "cf-connecting-ip": "198.51.100.8" })).status).toBe(200);
    expect((await api(`/blocklist/${entry.body.id}`, { method: "DELETE", token: a.adminKey })).status).toBe(204);
    expect((await claimAs(a.campaignId, a.tenant.id, "iso", { "x-device-id": devA.token })).status).toBe(200);
  });
});
