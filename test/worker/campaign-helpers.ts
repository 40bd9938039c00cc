import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { api } from "./helpers";
import { signSession } from "../../worker/domain/buyer-session";
import type { ClaimWon } from "../../schema/claim-facts";
import type { EventEnvelope } from "../../schema/events";
import { coordinatorOf, shardOf } from "../../worker/services/campaigns";
import { createOrder } from "../../worker/services/orders";

/**
 * A Bearer header naming `userId` as the signed-in buyer of the campaign's brand (as the session route would). The
 * buyer row is made too (a guest of that brand): routes off the hot claim path check that the session's buyer exists.
 */
export async function sessionHeader(campaignId: string, userId: string): Promise<Record<string, string>> {
  const row = await env.DB.prepare("SELECT tenant_id FROM campaigns WHERE id = ?").bind(campaignId).first<{ tenant_id: string }>();
  await env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest') ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id")
    .bind(userId, row!.tenant_id).run();
  return { authorization: `Bearer ${await signSession(env.BUYER_SESSION_SECRET, row!.tenant_id, userId)}` };
}

/** A published coupon product of the tenant (unlimited stock), for prizes and offers. */
export async function couponProductOf(tenantId: string, name = "满50减10券") {
  const id = `prd_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    "INSERT INTO products (id, tenant_id, kind, name, scope_text, price_cents, face_value_cents, validity_kind, valid_days, status) VALUES (?, ?, 'coupon', ?, '全场通用', 0, 1000, 'relative', 30, 'published')",
  ).bind(id, tenantId, name).run();
  return id;
}

/**
 * A published ¥19.90 coupon product each buyer may buy once, which `buyerId` has already bought in the shop: a won
 * flash-sale claim of theirs on it can never become an order.
 */
export async function productBoughtBy(tenantId: string, buyerId: string) {
  const id = `prd_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    "INSERT INTO products (id, tenant_id, kind, name, scope_text, price_cents, face_value_cents, validity_kind, valid_days, status, per_user_limit) VALUES (?, ?, 'coupon', '满50减10券', '全场通用', 1990, 1000, 'relative', 30, 'published', 1)",
  ).bind(id, tenantId).run();
  await createOrder(env, { tenantId, buyerId, productId: id, idempotencyKey: `shop-${crypto.randomUUID()}` });
  return id;
}

/**
 * Holds what the campaign's (single) shard forwards from now on on the named Queues (won-claim facts on CLAIMS,
 * events on EVENTS): kept here instead of queued, so the test reads them or drives the claims consumer itself, with
 * whatever duplicates and crashes it wants. A Queue not named stays the real one.
 */
export async function holdShardMessages(campaignId: string, queues: ("CLAIMS" | "EVENTS")[] = ["CLAIMS", "EVENTS"]) {
  const facts: ClaimWon[] = [];
  const events: EventEnvelope[] = [];
  // Events travel as journaled bundles ({ journal, events }): kept as the envelopes they carry.
  const unbundle = <T>(b: T): T[] => (b && typeof b === "object" && "journal" in b ? (b as unknown as { events: T[] }).events : [b]);
  const queue = <T>(into: T[]) => ({ send: async (b: T) => void into.push(...unbundle(b)), sendBatch: async (m: { body: T }[]) => void into.push(...m.map((x) => x.body)) });
  const all = { CLAIMS: queue(facts), EVENTS: queue(events) } as Record<string, unknown>;
  const held = Object.fromEntries(queues.map((q) => [q, all[q]]));
  const spy = new Proxy(env, { get: (t, k) => (typeof k === "string" && k in held ? held[k] : Reflect.get(t, k)) }) as Env;
  await runInDurableObject(shardOf(env, campaignId, 0), (instance) => {
    (instance as unknown as { env: Env }).env = spy;
  });
  /** Runs the outbox until nothing is left to forward (the alarm may not be set yet when a claim's reply arrives). */
  const flush = async () => {
    const stub = shardOf(env, campaignId, 0);
    const due = () => runInDurableObject(stub, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claims WHERE pending > 0 AND next_at <= ?", Date.now()).one().n);
    for (let i = 0; i < 100; i++) {
      await runDurableObjectAlarm(stub);
      if ((await due()) === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { facts, events, flush };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a shard's alarm once it is scheduled: a claim's reply can arrive before its write sets the alarm, and on a busy
 * machine `runDurableObjectAlarm` would then find none and run nothing. (No alarm after 2 s: it already ran by itself.)
 */
export async function runShardAlarm(stub: DurableObjectStub): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if ((await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())) !== null) break;
    await sleep(10);
  }
  return runDurableObjectAlarm(stub);
}

/**
 * Creates a campaign that opens ~0.8 s from now and waits for it to open. On a loaded machine the request may take
 * longer than the lead, and a lottery must start in the future: then it asks again with a longer lead.
 */
export async function liveCampaign(adminKey: string, body: Record<string, unknown>, opts: { runMs?: number; wait?: boolean; startInMs?: number } = {}) {
  let startsAt = 0;
  let res: Awaited<ReturnType<typeof api>> | null = null;
  for (const lead of [opts.startInMs ?? 800, 3_000, 8_000]) {
    startsAt = Date.now() + lead;
    res = await api("/campaigns", {
      method: "POST",
      token: adminKey,
      json: { startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + (opts.runMs ?? 600_000)).toISOString(), ...body },
    });
    if (!(res.status === 400 && res.body?.error?.code === "starts_in_past")) break;
  }
  if (res!.status !== 201) throw new Error(`campaign: ${res!.status} ${JSON.stringify(res!.body)}`);
  if (opts.wait !== false) await sleep(Math.max(0, startsAt - Date.now() + 20));
  return res!.body as { id: string; shards: number; seedCommitment: string | null; startsAt: string; endsAt: string };
}

export async function claim(campaignId: string, userId: string, extra: { ip?: string; device?: string; referrerId?: string; requestId?: string } = {}) {
  return api(`/public/campaigns/${campaignId}/claims`, {
    method: "POST",
    headers: { ...(await sessionHeader(campaignId, userId)), "cf-connecting-ip": extra.ip ?? `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`, ...(extra.device ? { "x-device-id": extra.device } : {}) },
    json: { userId, ...(extra.referrerId ? { referrerId: extra.referrerId } : {}), ...(extra.requestId ? { requestId: extra.requestId } : {}) },
  });
}

/** Evicts the coordinator and every shard that is running (in-memory state gone, storage kept). */
export async function evictCampaign(campaignId: string, shards: number) {
  const stubs = [coordinatorOf(env, campaignId), ...Array.from({ length: shards }, (_, i) => shardOf(env, campaignId, i))];
  await Promise.all(stubs.map((s) => evictDurableObject(s).catch(() => undefined)));
}

export { sleep };

/**
 * Runs every shard's outbox and waits until each won claim is settled: its fact went to the claims Queue and the
 * consumer made the order/voucher (or refused it) and reported back. Fails when that does not happen in time.
 */
export async function settleAll(campaignId: string, shards: number, timeoutMs = 40_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let left = 0;
    for (let i = 0; i < shards; i++) {
      const stub = shardOf(env, campaignId, i);
      await runDurableObjectAlarm(stub);
      left += await stub.pendingCount();
    }
    if (!left) return;
    if (Date.now() > until) throw new Error(`${left} claims of ${campaignId} still unsettled after ${timeoutMs} ms`);
    await sleep(100);
  }
}
