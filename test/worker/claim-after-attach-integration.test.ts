import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClaimWon } from "../../schema/claim-facts";
import { consumeClaims } from "../../worker/queue/claims";
import { api, createTenant, recordedOfType } from "./helpers";
import { couponProductOf, holdShardMessages, liveCampaign } from "./campaign-helpers";
import { phoneBuyer, shop, shopWithKeys } from "./commerce-helpers";

/** The claims consumer on these facts, as one Queue batch (every message acknowledged, or the test fails). */
async function deliver(facts: ClaimWon[]) {
  let acked = 0;
  const messages = facts.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), body, attempts: 1, ack: () => void acked++, retry: () => undefined }));
  await consumeClaims({ queue: "kaquan-claims", messages, ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>, env);
  expect(acked).toBe(facts.length);
}

/** A widget visitor's guest session on the campaign, and its won claim, whose fact the shard forwarded and the test holds. */
async function guestWins(campaignId: string) {
  const held = await holdShardMessages(campaignId, ["CLAIMS"]);
  const s = await api(`/public/campaigns/${campaignId}/session`, { method: "POST" });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  const auth = { authorization: `Bearer ${s.body.token}`, "cf-connecting-ip": "10.9.8.7" };
  const won = await api(`/public/campaigns/${campaignId}/claims`, { method: "POST", headers: auth, json: {} });
  expect(won.status, JSON.stringify(won.body)).toBe(200);
  await held.flush();
  expect(held.facts).toHaveLength(1);
  return { token: s.body.token as string, guestId: s.body.userId as string, auth, claimId: won.body.claimId as string, facts: held.facts };
}

/** A brand with card keys and a one-shard flash sale of them, which a widget guest has won. */
async function flashWin() {
  const { tenant, adminKey, productId, slug } = await shopWithKeys(3);
  const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 2, shards: 1 });
  return { tenant, slug, c, g: await guestWins(c.id) };
}

/** A phone buyer signs in on the store, and the widget's link hands the guest's token to them: their cookie and id. */
async function attachTo(slug: string, phone: string, token: string) {
  const cookie = await phoneBuyer(slug, phone);
  const adopt = await shop(slug, "/session", { method: "POST", cookie, json: { token } });
  expect(adopt.status, JSON.stringify(adopt.body)).toBe(200);
  return { cookie, me: adopt.body.buyer.id as string };
}

// The widget's 查看我的卡券 / pay link hands its guest to the buyer signed in here, while the claim's voucher or order
// is still being made by the claims consumer: what it makes afterwards must reach that buyer too.
describe("a claim fulfilled after its guest was attached to a signed-in buyer", { timeout: 60_000 }, () => {
  it("a coupon claim's voucher is the phone buyer's, in their 我的卡券", async () => {
    const { tenant, adminKey } = await createTenant();
    const productId = await couponProductOf(tenant.id);
    const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 5, shards: 1 });
    const g = await guestWins(c.id);
    const { cookie, me } = await attachTo(tenant.slug, "13911112222", g.token);
    expect(me).not.toBe(g.guestId);
    // The warehouse learns the two are one person (analytics/person-merges.ts), once however often the link is opened.
    await shop(tenant.slug, "/session", { method: "POST", cookie, json: { token: g.token } });
    expect((await recordedOfType(tenant.id, "guest_attached")).map((e) => [e.actor.userId, e.payload.guestId])).toEqual([[me, g.guestId]]);

    await deliver(g.facts);
    const mine = await shop(tenant.slug, "/vouchers", { cookie });
    expect(mine.body.vouchers.filter((v: { campaignId: string }) => v.campaignId === c.id)).toEqual([expect.objectContaining({ holderId: me, status: "issued" })]);
    // Delivered again (a redelivery): still the one voucher, still theirs.
    await deliver(g.facts);
    const rows = await env.DB.prepare("SELECT holder_id FROM vouchers WHERE tenant_id = ? AND campaign_id = ?").bind(tenant.id, c.id).all<{ holder_id: string }>();
    expect(rows.results).toEqual([{ holder_id: me }]);
  });

  it("a flash win's order is the phone buyer's, and the widget's pay link still opens it, before and after the consumer made it", async () => {
    const { tenant, slug, c, g } = await flashWin();
    const { cookie, me } = await attachTo(slug, "13911113333", g.token);

    // The winner's pay page asks for the order first (it makes it, for the phone buyer), then the consumer repeats it.
    const first = await api(`/public/campaigns/${c.id}/claims/${g.claimId}/order`, { headers: g.auth });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await deliver(g.facts);
    const again = await api(`/public/campaigns/${c.id}/claims/${g.claimId}/order`, { headers: g.auth });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.id ?? again.body.order?.id).toBe(first.body.id ?? first.body.order?.id);
    const orders = await shop(slug, "/orders", { cookie });
    const flash = orders.body.orders.filter((o: { campaignId: string }) => o.campaignId === c.id);
    expect(flash).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT buyer_id FROM orders WHERE tenant_id = ? AND campaign_id = ?").bind(tenant.id, c.id).all<{ buyer_id: string }>();
    expect(rows.results).toEqual([{ buyer_id: me }]);
  });

  it("an order made before the attachment moved with the guest: the consumer's repeat and the pay link find it, not a conflict", async () => {
    const { tenant, slug, c, g } = await flashWin();
    await deliver(g.facts);
    const { me } = await attachTo(slug, "13911114444", g.token);
    await deliver(g.facts);
    const pay = await api(`/public/campaigns/${c.id}/claims/${g.claimId}/order`, { headers: g.auth });
    expect(pay.status, JSON.stringify(pay.body)).toBe(200);
    const rows = await env.DB.prepare("SELECT buyer_id, status FROM orders WHERE tenant_id = ? AND campaign_id = ?").bind(tenant.id, c.id).all<{ buyer_id: string; status: string }>();
    expect(rows.results).toEqual([{ buyer_id: me, status: "created" }]);
  });
});
