import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";
import { claim, holdShardMessages, liveCampaign, productBoughtBy, sessionHeader, settleAll } from "./campaign-helpers";

describe("a won flash-sale claim that can never become an order", { timeout: 60_000 }, () => {
  it("goes back to stock, is shown to the buyer as failed with the reason, and is evented", async () => {
    const { tenant, adminKey } = await createTenant();
    // buyer-a already bought the product in the shop (limit 1): the claim's order can never be created.
    const productId = await productBoughtBy(tenant.id, "buyer-a");
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 3, perUserLimit: 1, shards: 1 });
    // The shard's events are recorded here; its won-claim facts still go to the real claims Queue.
    const { events: sent } = await holdShardMessages(c.id, ["EVENTS"]);
    const won = await claim(c.id, "buyer-a");
    expect(won.status).toBe(200);
    expect((await claim(c.id, "buyer-b")).status).toBe(200);
    await settleAll(c.id, 1);

    const flashOrders = await env.DB.prepare("SELECT buyer_id FROM orders WHERE tenant_id = ? AND campaign_id = ? ORDER BY buyer_id").bind(tenant.id, c.id).all<{ buyer_id: string }>();
    expect(flashOrders.results.map((o) => o.buyer_id)).toEqual(["buyer-b"]);
    // The unit came back: 3 - 2 claimed + 1 returned.
    const live = await api(`/public/campaigns/${c.id}/live`);
    expect(live.body.remaining.item).toBe(2);

    // A standing is personal: only that buyer's own session reads it.
    expect((await api(`/public/campaigns/${c.id}/users/buyer-a`)).status).toBe(401);
    expect((await api(`/public/campaigns/${c.id}/users/buyer-a`, { headers: await sessionHeader(c.id, "buyer-b") })).status).toBe(403);
    const a = await api(`/public/campaigns/${c.id}/users/buyer-a`, { headers: await sessionHeader(c.id, "buyer-a") });
    expect(a.status).toBe(200);
    // Refused for a reason of hers (her own purchase limit): the win still counts, or she could loop.
    expect(a.body.claimedTotal).toBe(1);
    expect(a.body.claims).toEqual([
      expect.objectContaining({ claimId: won.body.claimId, status: "failed", orderId: null, failure: expect.objectContaining({ code: "purchase_limit" }) }),
    ]);
    const b = await api(`/public/campaigns/${c.id}/users/buyer-b`, { headers: await sessionHeader(c.id, "buyer-b") });
    expect(b.body.claims[0]).toMatchObject({ status: "fulfilled", failure: null });
    expect(b.body.claims[0].orderId).toMatch(/^ord_/);

    const failed = sent.filter((e) => e.type === "claim_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ actor: { userId: "buyer-a" }, payload: { claimId: won.body.claimId, reason: "purchase_limit", stockReturned: true } });

    // The returned unit sells again.
    expect((await claim(c.id, "buyer-c")).status).toBe(200);
    await settleAll(c.id, 1);
    expect((await api(`/public/campaigns/${c.id}/users/buyer-c`, { headers: await sessionHeader(c.id, "buyer-c") })).body.claims[0].status).toBe("fulfilled");
  });

  it("a win the product cannot serve (it ran out) gives the winner their limit back, and the page is told why", async () => {
    const { tenant, adminKey } = await createTenant();
    // One unit of the product behind a flash sale of three.
    const productId = `prd_${crypto.randomUUID().slice(0, 12)}`;
    await env.DB.prepare(
      "INSERT INTO products (id, tenant_id, kind, name, scope_text, price_cents, face_value_cents, validity_kind, valid_days, status, stock_total) VALUES (?, ?, 'coupon', '只剩一张', '全场通用', 1990, 1000, 'relative', 30, 'published', 1)",
    ).bind(productId, tenant.id).run();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "超卖的秒杀", productId, priceCents: 990, stock: 3, perUserLimit: 1, shards: 1 });
    const first = await claim(c.id, "buyer-1");
    await settleAll(c.id, 1);
    const second = await claim(c.id, "buyer-2");
    expect([first.status, second.status]).toEqual([200, 200]);
    await settleAll(c.id, 1);
    const standing = async (who: string) => (await api(`/public/campaigns/${c.id}/users/${who}`, { headers: await sessionHeader(c.id, who) })).body;
    expect((await standing("buyer-1")).claims[0]).toMatchObject({ status: "fulfilled" });
    const two = await standing("buyer-2");
    expect(two.claims[0]).toMatchObject({ status: "failed", failure: expect.objectContaining({ code: "sold_out" }) });
    expect(two.claimedTotal).toBe(0);
    const order = await api(`/public/campaigns/${c.id}/claims/${second.body.claimId}/order`, { headers: await sessionHeader(c.id, "buyer-2") });
    expect(order.status).toBe(409);
    expect(order.body.error.code).toBe("claim_unfulfillable");
    // The unit is not put back on sale, where it would only be won and refused again: 3 − 2 = 1 left.
    expect((await api(`/public/campaigns/${c.id}/live`)).body.remaining.item).toBe(1);
    // Not locked out by a win that never became an order: a new try is judged afresh (it wins the last unit, which
    // the product refuses too); then the sale has sold out, as the product did.
    const again = await claim(c.id, "buyer-2");
    expect(again.status).toBe(200);
    await settleAll(c.id, 1);
    expect((await api(`/public/campaigns/${c.id}/live`)).body.remaining.item).toBe(0);
    const last = await claim(c.id, "buyer-3");
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe("sold_out");
  });
});
