import { describe, expect, it } from "vitest";
import { sessionCookieName } from "../../worker/domain/buyer-session";
import { couponProductOf, liveCampaign, sessionHeader } from "./campaign-helpers";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { env } from "cloudflare:workers";
import { expireUnpaidOrders } from "../../worker/services/order-expiry";
import { returnStrandedWins } from "../../worker/services/campaign-lapse";
import { api, createTenant, recordedOfType } from "./helpers";

const hour = 3_600_000;

/** A one-unit flash sale (two shards) a guest has just won: its order waits unpaid. */
async function oneUnitWin() {
  const { adminKey, productId, slug } = await shopWithKeys(3);
  const now = Date.now();
  const id = (await api("/campaigns", {
    method: "POST", token: adminKey,
    json: { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 1, perUserLimit: 1, shards: 2, startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + hour).toISOString() },
  })).body.id as string;
  const first = await shop(slug, "/guest", { method: "POST" });
  const won = await api(`/public/campaigns/${id}/claims`, { method: "POST", headers: { cookie: first.cookie! }, json: {} });
  const view = await api(`/public/campaigns/${id}/claims/${won.body.claimId}/order`, { headers: { cookie: first.cookie! } });
  return { slug, id, first, won, view };
}

describe("where campaign pieces meet the shop", { timeout: 60_000 }, () => {
  it("a flash sale may open at once; its winner gets the order with a cashier link, pays and sees the key; nobody else sees it", async () => {
    const { adminKey, productId, slug, tenant } = await shopWithKeys(3);
    const now = Date.now();
    const created = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 2, perUserLimit: 1, shards: 2, startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + hour).toISOString() },
    });
    expect(created.status).toBe(201);
    expect(created.body.phase).toBe("live");
    const id = created.body.id as string;
    const pub = await api(`/public/campaigns/${id}`);
    expect(pub.body.product).toMatchObject({ id: productId, name: "视频会员月卡", priceCents: 1990 });

    const winner = await shop(slug, "/guest", { method: "POST" });
    const stranger = await shop(slug, "/guest", { method: "POST" });
    const won = await api(`/public/campaigns/${id}/claims`, { method: "POST", headers: { cookie: winner.cookie! }, json: {} });
    expect(won.status).toBe(200);
    const orderUrl = `/public/campaigns/${id}/claims/${won.body.claimId}/order`;
    const [view, again] = await Promise.all([api(orderUrl, { headers: { cookie: winner.cookie! } }), api(orderUrl, { headers: { cookie: winner.cookie! } })]);
    expect(view.status).toBe(200);
    expect(view.body.order).toMatchObject({ status: "created", amountCents: 990, campaignId: id, productId });
    expect(view.body.order.checkoutUrl).toMatch(/^\/api\/v1\/pay\/checkout\/pay_/);
    expect(again.body.order.id).toBe(view.body.order.id);

    // Only the claim's own buyer; a made-up claim id is no order.
    expect((await api(orderUrl, { headers: { cookie: stranger.cookie! } })).status).toBe(404);
    expect((await api(orderUrl)).status).toBe(401);
    expect((await api(`/public/campaigns/${id}/claims/clm_made_up/order`, { headers: { cookie: winner.cookie! } })).status).toBe(404);

    // 我的订单: the winner's unpaid order with what it is and where to pay; not another buyer's, not in another store.
    const mine = await shop(slug, "/orders", { cookie: winner.cookie });
    expect(mine.status).toBe(200);
    expect(mine.body.orders).toHaveLength(1);
    expect(mine.body.orders[0]).toMatchObject({ id: view.body.order.id, status: "created", productName: "视频会员月卡", checkoutUrl: view.body.order.checkoutUrl });
    expect(mine.body.orders[0].reservedUntil).toBeTruthy();
    expect((await shop(slug, "/orders", { cookie: stranger.cookie })).body.orders).toEqual([]);
    const other = await createTenant();
    const token = winner.cookie!.split("=")[1]!;
    expect((await shop(other.tenant.slug, "/orders", { cookie: `${sessionCookieName(other.tenant.slug)}=${token}` })).status).toBe(401);

    expect((await pay(view.body.order.checkoutUrl)).status).toBe(200);
    await expect.poll(async () => (await shop(slug, `/orders/${view.body.order.id}`, { cookie: winner.cookie })).body.vouchers[0]?.secret ?? null, { timeout: 10_000 }).toMatch(/^KEY-/);
    const after = await shop(slug, "/orders", { cookie: winner.cookie });
    expect(after.body.orders[0].status).toBe("delivered");
    expect(after.body.orders[0].checkoutUrl).toBeUndefined();
    // The payment names the campaign, so campaign ROI counts its revenue (it read ¥0 for every flash sale).
    const paid = (await recordedOfType(tenant.id, "order_paid")).filter((e) => e.payload.orderId === view.body.order.id);
    expect(paid.map((e) => e.payload.campaignId)).toEqual([id]);

    // Refunded whole: the key is marked refunded, unused, so the discount its claim counted (¥19.90 − ¥9.90) goes back
    // to ROI with the refund, as a lapsed win's does; a shop order's refund hands back nothing.
    expect((await api(`/orders/${view.body.order.id}/refund`, { method: "POST", token: adminKey, json: { reason: "客户申请" } })).status).toBe(200);
    const plain = await shop(slug, "/orders", { method: "POST", cookie: stranger.cookie, json: { productId }, idem: `plain-${id}` });
    expect((await pay(plain.body.checkoutUrl)).status).toBe(200);
    await expect.poll(async () => (await shop(slug, `/orders/${plain.body.id}`, { cookie: stranger.cookie })).body.order.status, { timeout: 10_000 }).toBe("delivered");
    expect((await api(`/orders/${plain.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "客户申请" } })).status).toBe(200);
    const refunded = await recordedOfType(tenant.id, "order_refunded");
    expect(refunded.find((e) => e.payload.orderId === view.body.order.id)?.payload).toMatchObject({ campaignId: id, costCents: 1000 });
    expect(refunded.find((e) => e.payload.orderId === plain.body.id)?.payload.costCents).toBeUndefined();
  });

  it("a flash-sale win left unpaid goes back on sale when its order expires, once, and its winner may try again", async () => {
    const { adminKey, productId, slug, tenant } = await shopWithKeys(3);
    const now = Date.now();
    const created = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 1, perUserLimit: 1, shards: 2, startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + hour).toISOString() },
    });
    const id = created.body.id as string;
    const first = await shop(slug, "/guest", { method: "POST" });
    const second = await shop(slug, "/guest", { method: "POST" });
    const won = await api(`/public/campaigns/${id}/claims`, { method: "POST", headers: { cookie: first.cookie! }, json: {} });
    expect(won.status).toBe(200);
    const view = await api(`/public/campaigns/${id}/claims/${won.body.claimId}/order`, { headers: { cookie: first.cookie! } });
    expect(view.body.order.status).toBe("created");
    expect((await api(`/public/campaigns/${id}/claims`, { method: "POST", headers: { cookie: second.cookie! }, json: {} })).body.error.code).toBe("sold_out");
    // The campaigns list says so (it read 进行中 from the phase alone).
    const listed = async () => (await api(`/public/tenants/${slug}/campaigns`)).body.campaigns.find((c: any) => c.id === id);
    await expect.poll(async () => (await listed()).soldOut, { timeout: 10_000 }).toBe(true);
    expect((await listed()).phase).toBe("live");

    // The 15 minutes run out unpaid: the cron expires the order, and the unit is back on sale.
    await env.DB.prepare("UPDATE orders SET reserved_until = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), view.body.order.id).run();
    expect(await expireUnpaidOrders(env)).toBeGreaterThanOrEqual(1);
    // Again: nothing more for this order (another file's lapsed order may be; the unit back once is checked below).
    await expireUnpaidOrders(env);
    await expect.poll(async () => (await api(`/public/campaigns/${id}/live`)).body.remaining.item, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await listed()).soldOut, { timeout: 10_000 }).toBe(false);
    const firstId = (await shop(slug, "/me", { cookie: first.cookie })).body.buyer.id as string;
    const standing = await api(`/public/campaigns/${id}/users/${firstId}`, { headers: { cookie: first.cookie! } });
    expect(standing.body.claimedTotal).toBe(0);
    expect(standing.body.claims[0]).toMatchObject({ claimId: won.body.claimId, status: "failed", failure: { code: "order_lapsed" } });
    // Asked for the win's order again, the winner is told it lapsed (it said claim_unfulfillable: "the product ran out").
    const lapsed = await api(`/public/campaigns/${id}/claims/${won.body.claimId}/order`, { headers: { cookie: first.cookie! } });
    expect([lapsed.status, lapsed.body.error.code]).toEqual([409, "order_lapsed"]);
    // The expiry hands back the discount its claim counted (¥19.90 − ¥9.90): ROI counts the unit once when re-won.
    const cancelled = (await recordedOfType(tenant.id, "order_cancelled")).filter((e) => e.payload.orderId === view.body.order.id);
    expect(cancelled.map((e) => e.payload)).toEqual([expect.objectContaining({ reason: "expired", campaignId: id, costCents: 1000 })]);

    // Someone else takes it now (the isolate's sold-out mark lapses within seconds).
    await expect.poll(async () => (await api(`/public/campaigns/${id}/claims`, { method: "POST", headers: { cookie: second.cookie! }, json: {} })).status, { timeout: 10_000, interval: 1000 }).toBe(200);
    expect((await api(`/public/campaigns/${id}/live`)).body.remaining.item).toBe(0);
  });

  it("a win its buyer cancels unpaid goes back on sale at once, and the winner is told it was cancelled, not that it timed out", async () => {
    const { slug, id, first: buyer, won, view } = await oneUnitWin();
    expect((await shop(slug, `/orders/${view.body.order.id}/cancel`, { method: "POST", cookie: buyer.cookie })).status).toBe(200);
    expect((await api(`/public/campaigns/${id}/live`)).body.remaining.item).toBe(1);
    const me = (await shop(slug, "/me", { cookie: buyer.cookie })).body.buyer.id as string;
    const standing = await api(`/public/campaigns/${id}/users/${me}`, { headers: { cookie: buyer.cookie! } });
    expect(standing.body.claimedTotal).toBe(0);
    expect(standing.body.claims[0]).toMatchObject({ claimId: won.body.claimId, status: "failed", failure: { code: "order_cancelled" } });
    const again = await api(`/public/campaigns/${id}/claims/${won.body.claimId}/order`, { headers: { cookie: buyer.cookie! } });
    expect([again.status, again.body.error.code]).toEqual([409, "order_cancelled"]);
    // The cron finds nothing more to hand back: the unit is back once.
    await returnStrandedWins(env);
    expect((await api(`/public/campaigns/${id}/live`)).body.remaining.item).toBe(1);
  });

  it("a lapsed win whose hand-back a crash cut off goes back on sale at the next cron, once", async () => {
    const { id, view } = await oneUnitWin();
    expect(view.body.order.status).toBe("created");
    // The order's expiry committed two minutes ago and the runtime died before the shard heard of it.
    const before = new Date(Date.now() - 120_000).toISOString();
    await env.DB.prepare("UPDATE orders SET status = 'expired', updated_at = ? WHERE id = ?").bind(before, view.body.order.id).run();
    expect((await api(`/public/campaigns/${id}/live`)).body.remaining.item).toBe(0);
    // The worker test files share one database: another file's stranded win may be handed back in the same run.
    expect(await returnStrandedWins(env)).toContain(view.body.order.id);
    await expect.poll(async () => (await api(`/public/campaigns/${id}/live`)).body.remaining.item, { timeout: 10_000 }).toBe(1);
    expect(await returnStrandedWins(env)).not.toContain(view.body.order.id);
    expect((await env.DB.prepare("SELECT win_returned FROM orders WHERE id = ?").bind(view.body.order.id).first<{ win_returned: number }>())!.win_returned).toBe(1);
  });

  it("refuses a prize that delivers nothing (422 naming the field), on create and on edit", async () => {
    const { adminKey, tenant } = await createTenant();
    const productId = await couponProductOf(tenant.id);
    const startsAt = new Date(Date.now() + hour).toISOString();
    const endsAt = new Date(Date.now() + 2 * hour).toISOString();
    const bare = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "x", prizes: [{ id: "a", name: "a", productId, stock: 1, weight: 1 }, { id: "b", name: "b", stock: 1, weight: 1 }], startsAt, endsAt },
    });
    expect(bare.status).toBe(422);
    expect(bare.body.error.code).toBe("prize_without_product");
    expect(bare.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["json.prizes.1.productId"]);
    expect(bare.body.error.requestId).toBeTruthy();

    const ok = await api("/campaigns", { method: "POST", token: adminKey, json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "x", prizes: [{ id: "a", name: "a", productId, stock: 1, weight: 1 }], startsAt, endsAt } });
    expect(ok.status).toBe(201);
    const edit = await api(`/campaigns/${ok.body.id}`, { method: "PATCH", token: adminKey, json: { prizes: [{ id: "a", name: "a", stock: 1, weight: 1 }] } });
    expect(edit.status).toBe(422);
    expect(edit.body.error.issues[0].path).toBe("json.prizes.0.productId");
    // A lottery still has to publish its commitment before opening.
    const past = await api("/campaigns", { method: "POST", token: adminKey, json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "x", prizes: [{ id: "a", name: "a", productId, stock: 1, weight: 1 }], startsAt: new Date(Date.now() - 1000).toISOString(), endsAt } });
    expect(past.status).toBe(400);
  });

  it("tells a new user the draws they have before their first draw", async () => {
    const { adminKey, tenant } = await createTenant();
    const productId = await couponProductOf(tenant.id);
    const body = { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "draws", prizes: [{ id: "a", name: "a", productId, stock: 5, weight: 1 }], noPrizeWeight: 1, drawsPerDay: 2, shards: 4 };
    const scheduled = await liveCampaign(adminKey, body, { startInMs: hour, wait: false });
    expect((await api(`/public/campaigns/${scheduled.id}/users/newcomer`, { headers: await sessionHeader(scheduled.id, "newcomer") })).body.drawsLeftToday).toBe(2);
    const c = await liveCampaign(adminKey, body);
    // Nobody has drawn on any shard yet.
    const fresh = await api(`/public/campaigns/${c.id}/users/newcomer`, { headers: await sessionHeader(c.id, "newcomer") });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ drawsLeftToday: 2, claimedTotal: 0, wins: 0 });
    const drew = await api(`/public/campaigns/${c.id}/claims`, { method: "POST", headers: await sessionHeader(c.id, "newcomer"), json: {} });
    expect(drew.status).toBe(200);
    expect((await api(`/public/campaigns/${c.id}/users/newcomer`, { headers: await sessionHeader(c.id, "newcomer") })).body.drawsLeftToday).toBe(1);
  });
});
