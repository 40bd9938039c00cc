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
});
