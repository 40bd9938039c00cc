import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { api, createTenant } from "./helpers";
import { signSession } from "../../worker/domain/buyer-session";
import { issueDeviceToken } from "../../worker/domain/device-token";
import { homeShard } from "../../worker/domain/campaign-rules";
import { powResponse, solvePow } from "../../worker/domain/pow";
import { expireUnpaidOrders } from "../../worker/services/order-expiry";
import { shop, shopWithKeys } from "./commerce-helpers";

const SHARDS = 8;

/** `perShard` user ids homed on every one of the campaign's shards: one attacker's accounts spread over all of them. */
function spreadAccounts(prefix: string, perShard: number): string[] {
  const byShard = new Map<number, string[]>();
  for (let i = 0; [...byShard.values()].filter((v) => v.length >= perShard).length < SHARDS; i++) {
    const id = `${prefix}-${i}`;
    const list = byShard.get(homeShard(id, SHARDS)) ?? [];
    if (list.length < perShard) byShard.set(homeShard(id, SHARDS), [...list, id]);
  }
  return [...byShard.values()].flat();
}

async function couponCampaign(limits: Record<string, unknown>, stock = 500) {
  const { adminKey, tenant } = await createTenant();
  const productId = await couponProductOf(tenant.id);
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "limits", productId, stock, perUserLimit: 10, shards: SHARDS, ...limits });
  return { c, tenant, adminKey };
}

/**
 * One claim. Many accounts on one network are what the risk gate challenges (403 challenge_required): this attacker
 * solves every puzzle and retries, so the caps are shown to hold even for one who gets past the challenge.
 */
async function claimAs(tenantId: string, campaignId: string, userId: string, h: { ip: string; device?: string; phone?: boolean; requestId?: string; cookie?: string }) {
  const auth: Record<string, string> = h.cookie
    ? { cookie: h.cookie }
    : { authorization: `Bearer ${await signSession(env.BUYER_SESSION_SECRET, tenantId, userId, undefined, { phone: !!h.phone, member: false, createdS: 0 })}` };
  const send = (extra: Record<string, string> = {}) =>
    api(`/public/campaigns/${campaignId}/claims`, {
      method: "POST",
      headers: { ...auth, "cf-connecting-ip": h.ip, ...(h.device ? { "x-device-id": h.device } : {}), ...extra },
      json: h.requestId ? { requestId: h.requestId } : {},
    });
  let res = await send();
  for (let i = 0; i < 3 && res.status === 403 && res.body.error?.challenge; i++) {
    const ch = res.body.error.challenge;
    res = await send({ "x-kaquan-challenge": powResponse(ch.token, await solvePow(ch.nonce, ch.difficulty)) });
  }
  return res;
}

const codes = (rs: { status: number; body: any }[]) => {
  const out: Record<string, number> = {};
  for (const r of rs) {
    const k = r.status === 200 ? "ok" : r.body.error.code;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

let seq = 0;
const ip = () => `203.0.${113 + (seq % 100)}.${(seq++ % 250) + 1}`;

describe("campaign-wide limits are exact across shards", () => {
  it("per IP: 32 accounts on all 8 shards from one IP, claiming at once, get exactly the IP's limit", async () => {
    const { c, tenant } = await couponCampaign({ perIpLimit: 3 });
    const accounts = spreadAccounts("ipatk", 4);
    expect(new Set(accounts.map((a) => homeShard(a, SHARDS))).size).toBe(SHARDS);
    const shared = ip();
    const results = await Promise.all(accounts.map((a) => claimAs(tenant.id, c.id, a, { ip: shared })));
    expect(codes(results)).toEqual({ ok: 3, ip_limit_reached: accounts.length - 3 });
    // Per shard in memory this would have let up to 3 through on every shard (24).
    const other = await claimAs(tenant.id, c.id, accounts[0]!, { ip: ip() });
    expect(other.status).toBe(200);
  });

  it("per IP: an IPv6 client is its /64, whichever addresses in it the accounts claim from", async () => {
    const { c, tenant } = await couponCampaign({ perIpLimit: 3 });
    const accounts = spreadAccounts("ip6atk", 2);
    const results = await Promise.all(accounts.map((a, i) => claimAs(tenant.id, c.id, a, { ip: `2001:db8:1f:${seq}:${(i + 1).toString(16)}::${(i + 9).toString(16)}` })));
    expect(codes(results)).toEqual({ ok: 3, ip_limit_reached: accounts.length - 3 });
    const next64 = await claimAs(tenant.id, c.id, accounts[0]!, { ip: `2001:db8:1f:${seq + 1}::1` });
    expect(next64.status).toBe(200);
    seq += 2;
  });

  it("per device: one signed device token over every shard and many IPs gets exactly the device's limit", async () => {
    const { c, tenant } = await couponCampaign({ perDeviceLimit: 2 });
    const { token } = await issueDeviceToken(env.BUYER_SESSION_SECRET, tenant.id);
    const accounts = spreadAccounts("devatk", 3);
    const results = await Promise.all(accounts.map((a) => claimAs(tenant.id, c.id, a, { ip: ip(), device: token })));
    expect(codes(results)).toEqual({ ok: 2, device_limit_reached: accounts.length - 2 });
  });

  it("a request repeated while the first is being decided gets the first's answer, not the device's limit", async () => {
    const { c, tenant } = await couponCampaign({ perDeviceLimit: 1 });
    const { token } = await issueDeviceToken(env.BUYER_SESSION_SECRET, tenant.id);
    const same = { ip: ip(), device: token, requestId: "retry-0001" };
    const results = await Promise.all([1, 2, 3, 4].map(() => claimAs(tenant.id, c.id, "retrier", same)));
    expect(codes(results)).toEqual({ ok: 4 });
    expect(new Set(results.map((r) => r.body.claimId)).size).toBe(1);
    // One unit held: another account on that device is refused, a later repeat still answers the same claim.
    expect((await claimAs(tenant.id, c.id, "other", { ip: ip(), device: token })).body.error.code).toBe("device_limit_reached");
    expect((await claimAs(tenant.id, c.id, "retrier", same)).body.claimId).toBe(results[0]!.body.claimId);
  });

  it("a made-up or forged device header counts as no device, so the IP limit still holds", async () => {
    const { c, tenant } = await couponCampaign({ perDeviceLimit: 1, perIpLimit: 4 });
    const foreign = (await issueDeviceToken(env.BUYER_SESSION_SECRET, "another-tenant")).token;
    const forged = `dv_${"A".repeat(20)}.${"0".repeat(32)}`;
    const accounts = spreadAccounts("forge", 2);
    const shared = ip();
    const results = await Promise.all(
      accounts.map((a, i) => claimAs(tenant.id, c.id, a, { ip: shared, device: [foreign, forged, "d_client_picked"][i % 3] })),
    );
    // Had the header counted, the device limit (1 per id) would have refused all but 3; as no device, the IP's 4 pass.
    expect(codes(results)).toEqual({ ok: 4, ip_limit_reached: accounts.length - 4 });
  });

  // A phone is one account per brand (buyers are unique by phone), so the phone key is that account; its many
  // sessions (devices, networks) share it. 9 claims stay under the per-account rate limit (10 per 10 s).
  it("per phone: one verified phone account's sessions from many IPs at once get exactly the phone's limit", async () => {
    const { c, tenant } = await couponCampaign({ perPhoneLimit: 2 });
    const results = await Promise.all(Array.from({ length: 9 }, () => claimAs(tenant.id, c.id, "phone-acct-1", { ip: ip(), phone: true })));
    expect(codes(results)).toEqual({ ok: 2, phone_limit_reached: 7 });
    // A guest session (no verified phone) is not counted against any phone.
    expect((await claimAs(tenant.id, c.id, "guest-acct-1", { ip: ip() })).status).toBe(200);
  });

  it("a claim that does not win gives its reservation back (sold out), so the counts equal the units handed out", async () => {
    const { c, tenant } = await couponCampaign({ perIpLimit: SHARDS }, 2);
    const shared = ip();
    const accounts = spreadAccounts("soldout", 1);
    const results = await Promise.all(accounts.map((a) => claimAs(tenant.id, c.id, a, { ip: shared })));
    expect(codes(results)).toEqual({ ok: 2, sold_out: accounts.length - 2 });
    const limits = env.CAMPAIGN_LIMITS.get(env.CAMPAIGN_LIMITS.idFromName(c.id));
    expect(await limits.usage([`i:${shared}`])).toEqual({ [`i:${shared}`]: 2 });
  });

  it("a request sent twice at once is one claim and counts once against the IP", async () => {
    const { c, tenant } = await couponCampaign({ perIpLimit: 2 });
    const shared = ip();
    const [a, b] = await Promise.all([0, 1].map(() => claimAs(tenant.id, c.id, "twice-1", { ip: shared, requestId: "req-twice-0001" })));
    expect([a!.status, b!.status]).toEqual([200, 200]);
    expect(b!.body.claimId).toBe(a!.body.claimId);
    const limits = env.CAMPAIGN_LIMITS.get(env.CAMPAIGN_LIMITS.idFromName(c.id));
    expect(await limits.usage([`i:${shared}`])).toEqual({ [`i:${shared}`]: 1 });
    expect((await claimAs(tenant.id, c.id, "twice-2", { ip: shared })).status).toBe(200);
    expect((await claimAs(tenant.id, c.id, "twice-3", { ip: shared })).body.error.code).toBe("ip_limit_reached");
  });

  it("a flash-sale win that lapses unpaid gives back its IP unit with its stock unit", async () => {
    const { adminKey, productId, slug } = await shopWithKeys(3);
    const now = Date.now();
    const c = (await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 2, perUserLimit: 1, perIpLimit: 1, shards: 2, startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() },
    })).body;
    const shared = ip();
    const [first, second] = [(await shop(slug, "/guest", { method: "POST" })).cookie!, (await shop(slug, "/guest", { method: "POST" })).cookie!];
    const won = await claimAs("", c.id, "", { ip: shared, cookie: first });
    expect(won.status).toBe(200);
    const order = await api(`/public/campaigns/${c.id}/claims/${won.body.claimId}/order`, { headers: { cookie: first } });
    expect(order.body.order.status).toBe("created");
    expect((await claimAs("", c.id, "", { ip: shared, cookie: second })).body.error.code).toBe("ip_limit_reached");

    await env.DB.prepare("UPDATE orders SET reserved_until = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), order.body.order.id).run();
    expect(await expireUnpaidOrders(env)).toBeGreaterThanOrEqual(1);
    const limits = env.CAMPAIGN_LIMITS.get(env.CAMPAIGN_LIMITS.idFromName(c.id));
    await expect.poll(() => limits.usage([`i:${shared}`]), { timeout: 10_000 }).toEqual({ [`i:${shared}`]: 0 });
    expect((await claimAs("", c.id, "", { ip: shared, cookie: second })).status).toBe(200);
    // Expired twice (a repeated cron) gives back nothing more.
    await expireUnpaidOrders(env);
    expect(await limits.usage([`i:${shared}`])).toEqual({ [`i:${shared}`]: 1 });
  });

  it("a campaign without such limits never asks the limits object", async () => {
    const { c, tenant } = await couponCampaign({});
    const shared = ip();
    const results = await Promise.all(spreadAccounts("open", 1).map((a) => claimAs(tenant.id, c.id, a, { ip: shared })));
    expect(codes(results)).toEqual({ ok: SHARDS });
    const limits = env.CAMPAIGN_LIMITS.get(env.CAMPAIGN_LIMITS.idFromName(c.id));
    expect(await limits.usage([`i:${shared}`])).toEqual({ [`i:${shared}`]: 0 });
  });
});
