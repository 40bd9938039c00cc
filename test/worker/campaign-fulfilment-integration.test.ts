import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClaimWon } from "../../schema/claim-facts";
import { consumeClaims } from "../../worker/queue/claims";
import { consumeEvents } from "../../worker/queue/consume";
import { redriveDeadLetters } from "../../worker/queue/redrive";
import { shardOf } from "../../worker/services/campaigns";
import { api, createTenant } from "./helpers";
import { claim, couponProductOf, holdShardMessages, liveCampaign, productBoughtBy, sessionHeader } from "./campaign-helpers";

type Fate = { acked: boolean; retried: number | null };

/** Runs the consumer on these facts as one Queue batch; returns what it did with each message. */
async function deliver(facts: ClaimWon[], e: Env = env, attempts = 1): Promise<Fate[]> {
  const fates: Fate[] = facts.map(() => ({ acked: false, retried: null }));
  const messages = facts.map((body, i) => ({
    id: `m${i}`, timestamp: new Date(), body, attempts,
    ack: () => void (fates[i]!.acked = true),
    retry: (o?: { delaySeconds?: number }) => void (fates[i]!.retried = o?.delaySeconds ?? 0),
  }));
  await consumeClaims({ queue: "kaquan-claims", messages, ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>, e);
  return fates;
}

/** A new tenant's one-shard coupon campaign with its shard's messages held, and `userId`'s won claim, forwarded. */
async function heldCouponClaim(userId: string) {
  const { tenant, adminKey } = await createTenant();
  const productId = await couponProductOf(tenant.id);
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId, stock: 5, shards: 1 });
  const held = await holdShardMessages(c.id);
  const won = await claim(c.id, userId);
  expect(won.status).toBe(200);
  await held.flush();
  return { tenant, adminKey, productId, c, held, won };
}

const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

describe("won claims become orders and vouchers through the claims consumer", { timeout: 60_000 }, () => {
  it("a coupon claim becomes exactly one voucher, whatever repeats: duplicate messages, a replay after settling, a crash before settling", async () => {
    const { tenant, productId, c, held, won } = await heldCouponClaim("u-1");
    // The shard forwarded one fact (and the claim event), and made nothing itself.
    expect(held.facts).toEqual([expect.objectContaining({ type: "claim_won", eventId: `clw_${won.body.claimId}`, claimId: won.body.claimId, userId: "u-1", productId, shard: 0 })]);
    expect(held.events.map((e) => e.eventId)).toEqual([`ev_${won.body.claimId}`]);
    const vouchers = () => count("SELECT count(*) AS n FROM vouchers WHERE tenant_id = ? AND campaign_id = ?", tenant.id, c.id);
    expect(await vouchers()).toBe(0);
    expect((await api(`/public/campaigns/${c.id}/users/u-1`, { headers: await sessionHeader(c.id, "u-1") })).body.claims[0]).toMatchObject({ status: "pending", voucherId: null });

    // The same fact twice in one batch (a duplicate send): one voucher, both messages acknowledged.
    const fact = held.facts[0]!;
    expect(await deliver([fact, fact])).toEqual([{ acked: true, retried: null }, { acked: true, retried: null }]);
    expect(await vouchers()).toBe(1);
    const standing = (await api(`/public/campaigns/${c.id}/users/u-1`, { headers: await sessionHeader(c.id, "u-1") })).body.claims[0];
    expect(standing).toMatchObject({ status: "fulfilled", failure: null });
    const voucherId = standing.voucherId as string;
    expect(voucherId).toMatch(/^vch_|^v/);

    // Replayed after it was settled: acknowledged, nothing new.
    expect(await deliver([fact], env, 3)).toEqual([{ acked: true, retried: null }]);
    // A consumer that crashed after the voucher insert and before settling: the fact comes again to an unsettled claim.
    await runInDurableObject(shardOf(env, c.id, 0), (_o, state) => void state.storage.sql.exec("UPDATE claims SET awaiting = 1"));
    expect(await deliver([fact], env, 2)).toEqual([{ acked: true, retried: null }]);
    expect(await vouchers()).toBe(1);
    expect((await api(`/public/campaigns/${c.id}/users/u-1`, { headers: await sessionHeader(c.id, "u-1") })).body.claims[0]).toMatchObject({ status: "fulfilled", voucherId });
    expect(await shardOf(env, c.id, 0).pendingCount()).toBe(0);
  });

  it("a fact lost on the way (the local broker dies with npm start) is forwarded again while its claim is unsettled, and no more once settled", async () => {
    const { c, held, won } = await heldCouponClaim("u-lost");
    expect(held.facts.map((f) => f.claimId)).toEqual([won.body.claimId]);
    held.facts.length = 0; // lost with the broker
    await held.flush();
    expect(held.facts).toEqual([]); // not before its resend time
    const later = async () => {
      await runInDurableObject(shardOf(env, c.id, 0), async (_o, state) => {
        state.storage.sql.exec("UPDATE claims SET next_at = 0 WHERE pending > 0");
        await state.storage.setAlarm(Date.now());
      });
      await held.flush();
    };
    await later(); // the resend time came
    expect(held.facts.map((f) => f.claimId)).toEqual([won.body.claimId]);
    expect(await deliver(held.facts)).toEqual([{ acked: true, retried: null }]);
    held.facts.length = 0;
    await later();
    expect(held.facts).toEqual([]);
    expect(await shardOf(env, c.id, 0).pendingCount()).toBe(0);
  });

  it("a transient failure is retried with back-off and the claim stays pending; the retry makes the voucher", async () => {
    const { c, held } = await heldCouponClaim("u-t");
    const brokenDb = new Proxy(env.DB, { get: (t, k) => (k === "prepare" || k === "batch" ? () => { throw new Error("D1 overloaded"); } : Reflect.get(t, k)) });
    const down = new Proxy(env, { get: (t, k) => (k === "DB" ? brokenDb : Reflect.get(t, k)) }) as Env;
    const [fate] = await deliver(held.facts, down);
    expect(fate!.acked).toBe(false);
    expect(fate!.retried).toBeGreaterThan(0);
    expect((await api(`/public/campaigns/${c.id}/users/u-t`, { headers: await sessionHeader(c.id, "u-t") })).body.claims[0].status).toBe("pending");
    expect(await deliver(held.facts, env, 2)).toEqual([{ acked: true, retried: null }]);
    expect((await api(`/public/campaigns/${c.id}/users/u-t`, { headers: await sessionHeader(c.id, "u-t") })).body.claims[0].status).toBe("fulfilled");
  });

  it("a permanent refusal returns the unit once and records claim_failed once, however often the fact comes", async () => {
    const { tenant, adminKey } = await createTenant();
    const productId = await productBoughtBy(tenant.id, "buyer-a");
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 1, perUserLimit: 1, shards: 1 });
    const held = await holdShardMessages(c.id);
    const won = await claim(c.id, "buyer-a");
    expect(won.status).toBe(200);
    expect((await claim(c.id, "buyer-b")).body.error.code).toBe("sold_out");
    await held.flush();
    const fact = held.facts[0]!;
    // Refused (purchase limit): settled as failed, acknowledged, not retried; the unit is back.
    expect(await deliver([fact, fact])).toEqual([{ acked: true, retried: null }, { acked: true, retried: null }]);
    expect(await deliver([fact], env, 4)).toEqual([{ acked: true, retried: null }]);
    // Even a repeated settlement (a consumer that crashed before its ack) gives nothing back twice.
    await shardOf(env, c.id, 0).settleClaims([{ claimId: fact.claimId, failure: { code: "purchase_limit", message: "again" } }]);
    expect((await api(`/public/campaigns/${c.id}/live`)).body.remaining.item).toBe(1);
    await held.flush();
    const failed = held.events.filter((e) => e.type === "claim_failed");
    expect(failed).toEqual([expect.objectContaining({ eventId: `evf_${won.body.claimId}`, payload: expect.objectContaining({ reason: "purchase_limit", stockReturned: true }) })]);
    // It hands back the cost its claim counted (ROI): the unit is sold again and counted again.
    const counted = held.events.find((e) => e.type === "claim_succeeded" && e.payload.claimId === won.body.claimId)!.payload.costCents;
    expect(counted).toBeGreaterThan(0);
    expect(failed[0]!.payload.costCents).toBe(counted);
    expect((await api(`/public/campaigns/${c.id}/users/buyer-a`, { headers: await sessionHeader(c.id, "buyer-a") })).body.claims[0]).toMatchObject({ status: "failed", orderId: null, failure: { code: "purchase_limit" } });
    // The winner's order route does not sell the returned unit a second time.
    const route = await api(`/public/campaigns/${c.id}/claims/${won.body.claimId}/order`, { headers: await sessionHeader(c.id, "buyer-a") });
    expect(route.status).toBe(409);
    expect(route.body.error.code).toBe("claim_unfulfillable");
    // The unit sells again, to someone else, and becomes their order.
    await new Promise((r) => setTimeout(r, 5_100)); // the isolate's "sold out everywhere" flag lapses after 5 s
    const again = await claim(c.id, "buyer-c");
    expect(again.status).toBe(200);
    await held.flush();
    expect(await deliver(held.facts.filter((f) => f.claimId === again.body.claimId))).toEqual([{ acked: true, retried: null }]);
    expect(await count("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND campaign_id = ?", tenant.id, c.id)).toBe(1);
  });

  it("the winner's order route and the consumer meet on one order", async () => {
    const { tenant, adminKey } = await createTenant();
    const c = await liveCampaign(adminKey, { kind: "flash_sale", name: "秒杀", productId: await couponProductOf(tenant.id), priceCents: 990, stock: 3, shards: 1 });
    const held = await holdShardMessages(c.id);
    const won = await claim(c.id, "w-1");
    // At once, before the shard forwarded anything: the route makes the order.
    const route = await api(`/public/campaigns/${c.id}/claims/${won.body.claimId}/order`, { headers: await sessionHeader(c.id, "w-1") });
    expect(route.status).toBe(200);
    await held.flush();
    expect(await deliver(held.facts)).toEqual([{ acked: true, retried: null }]);
    const orders = await env.DB.prepare("SELECT id FROM orders WHERE tenant_id = ? AND campaign_id = ?").bind(tenant.id, c.id).all<{ id: string }>();
    expect(orders.results.map((o) => o.id)).toEqual([route.body.order?.id ?? route.body.id]);
    expect((await api(`/public/campaigns/${c.id}/users/w-1`, { headers: await sessionHeader(c.id, "w-1") })).body.claims[0]).toMatchObject({ status: "fulfilled", orderId: orders.results[0]!.id });
    // And the route asked again after the consumer answers with the same order.
    const later = await api(`/public/campaigns/${c.id}/claims/${won.body.claimId}/order`, { headers: await sessionHeader(c.id, "w-1") });
    expect(later.body).toEqual(route.body);
  });

  it("a fact the Queue gave up on is parked with the dead letters and the cron's re-drive sends it back to the claims Queue", async () => {
    const { tenant, adminKey, c, held } = await heldCouponClaim("u-dl");
    const fact = held.facts[0]!;
    let acked = false;
    const msg = { id: "dl1", timestamp: new Date(), body: fact, attempts: 11, ack: () => void (acked = true), retry: () => undefined };
    await consumeEvents({ queue: "kaquan-events-dlq", messages: [msg], ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>, env);
    expect(acked).toBe(true);
    const parked = await env.DB.prepare("SELECT type, tenant_id FROM event_dead_letters WHERE event_id = ?").bind(fact.eventId).first();
    expect(parked).toEqual({ type: "claim_won", tenant_id: tenant.id });

    const resent: ClaimWon[] = [];
    const claims = { sendBatch: async (m: { body: ClaimWon }[]) => void resent.push(...m.map((x) => x.body)) };
    const spy = new Proxy(env, { get: (t, k) => (k === "CLAIMS" ? claims : Reflect.get(t, k)) }) as Env;
    await redriveDeadLetters(spy, { limit: 5000 });
    expect(resent).toContainEqual(fact);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE event_id = ?").bind(fact.eventId).first()).toEqual({ n: 0 });
    expect(await deliver(resent.filter((f) => f.claimId === fact.claimId))).toEqual([{ acked: true, retried: null }]);
    expect((await api(`/public/campaigns/${c.id}/users/u-dl`, { headers: await sessionHeader(c.id, "u-dl") })).body.claims[0].status).toBe("fulfilled");

    // An operator's replay of the dead letters takes parked facts too (back to the claims Queue, where they are skipped now).
    await consumeEvents({ queue: "kaquan-events-dlq", messages: [{ ...msg, id: "dl2" }], ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>, env);
    const replay = await api("/events/dead-letters/replay", { method: "POST", token: adminKey });
    expect(replay.status).toBe(200);
    expect(replay.body.replayed).toBe(1);
    expect((await api("/events/dead-letters", { token: adminKey })).body.pending).toBe(0);
  });
});
