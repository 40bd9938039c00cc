import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { EventEnvelope } from "../../schema/events";
import worker from "../../worker/index";
import { buildEvent } from "../../worker/queue/emit";
import { sendJournaled } from "../../worker/queue/journal";
import { api, createTenant } from "./helpers";

function batchOf(events: EventEnvelope[], queue = "kaquan-events", attempts = 1) {
  return createMessageBatch<EventEnvelope>(
    queue,
    events.map((body, i) => ({ id: `m-${body.eventId}-${i}`, timestamp: new Date(), attempts, body })),
  );
}

async function run(batch: MessageBatch<EventEnvelope>, e: Env = env) {
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, e);
  return getQueueResult(batch, ctx);
}

async function warehouseCount(tenantId: string, type = ""): Promise<number> {
  const res = await fetch(`${inject("warehouseUrl")}/test/count?tenant=${tenantId}&type=${type}`);
  return ((await res.json()) as { n: number }).n;
}

function events(tenantId: string, n: number) {
  return Array.from({ length: n }, (_, i) => buildEvent({ tenantId, type: "page_view", payload: { path: `/p/${i}` } }));
}

describe("event pipeline: queue → warehouse", () => {
  it("dead-letters an envelope whose payload does not match its type (with the field), never retries it, and delivers the rest", async () => {
    const tenantId = `tn_bad_${Date.now()}`;
    const good = events(tenantId, 3);
    const bad = { ...buildEvent({ tenantId, type: "order_paid", payload: { orderId: "o1" } }), payload: { orderId: "o1", amountCents: "9.90" } } as unknown as EventEnvelope;
    const result = await run(batchOf([...good, bad]));
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.length).toBe(4);
    expect(await warehouseCount(tenantId)).toBe(3);
    const dead = await env.DB.prepare("SELECT last_error, next_at FROM event_dead_letters WHERE event_id = ?").bind(bad.eventId).first<{ last_error: string; next_at: number }>();
    expect(dead!.last_error).toContain("payload.amountCents");
    expect(dead!.next_at).toBe(Number.MAX_SAFE_INTEGER); // not re-driven on its own
  });

  it("delivers a batch and acks every message", async () => {
    const tenantId = `tn_pipe_${Date.now()}`;
    const batch = batchOf(events(tenantId, 25));
    const result = await run(batch);
    expect(result.explicitAcks.length).toBe(25);
    expect(result.retryMessages).toEqual([]);
    expect(await warehouseCount(tenantId)).toBe(25);
  });

  it("is idempotent: a redelivered batch (or a duplicate inside one) does not double-count", async () => {
    const tenantId = `tn_idem_${Date.now()}`;
    const evs = events(tenantId, 10);
    await run(batchOf(evs));
    await run(batchOf(evs));
    await run(batchOf([...evs.slice(0, 3), ...evs.slice(0, 3)]));
    expect(await warehouseCount(tenantId)).toBe(10);
  });

  it("retries with growing back-off while the warehouse is down, losing nothing", async () => {
    const tenantId = `tn_down_${Date.now()}`;
    const down = { ...env, WAREHOUSE_URL: "http://127.0.0.1:9" } as Env;
    const first = await run(batchOf(events(tenantId, 4), "kaquan-events", 1), down);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages.length).toBe(4);

    // The test harness does not record delays, so watch the consumer's retry() calls on a hand-made batch.
    const delaysAt = async (attempts: number) => {
      const delays: number[] = [];
      const messages = events(tenantId, 3).map((body) => ({
        id: body.eventId, timestamp: new Date(), body, attempts,
        ack() {}, retry(o?: { delaySeconds?: number }) { delays.push(o?.delaySeconds ?? 0); },
      }));
      await worker.queue({ queue: "kaquan-events", messages, ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>, down);
      return delays;
    };
    const early = await delaysAt(1);
    const late = await delaysAt(8);
    expect(early).toHaveLength(3);
    expect(Math.min(...early)).toBeGreaterThanOrEqual(1);
    expect(Math.min(...late)).toBeGreaterThan(Math.max(...early));
    expect(await warehouseCount(tenantId)).toBe(0);
  });

  it("parks dead-lettered events in D1 and replays them into the warehouse exactly once", async () => {
    const { tenant, adminKey } = await createTenant("DLQ");
    const evs = events(tenant.id, 6);
    const parked = await run(batchOf(evs, "kaquan-events-dlq", 11));
    expect(parked.explicitAcks.length).toBe(6);
    expect((await api("/events/dead-letters", { token: adminKey })).body.pending).toBe(6);

    const replay = await api("/events/dead-letters/replay", { method: "POST", token: adminKey });
    expect(replay.body).toEqual({ replayed: 6, invalid: 0, remaining: 0 });
    // Replay went through the real queue binding; deliver what it would carry, twice, as a redelivery would.
    await run(batchOf(evs));
    await run(batchOf(evs));
    // Only the page views: the tenant's own tenant_created / api_key_created events arrive through the real queue too.
    expect(await warehouseCount(tenant.id, "page_view")).toBe(6);
  });

  it("replays the valid dead letters and keeps one that still fails its contract pending, with its field, never a 500", async () => {
    const { tenant, adminKey } = await createTenant("DLQ-invalid");
    const good = events(tenant.id, 2);
    await run(batchOf(good, "kaquan-events-dlq", 11));
    const bad = { ...buildEvent({ tenantId: tenant.id, type: "order_paid", payload: { orderId: "o1" } }), payload: { orderId: "o1", amountCents: "9.90" } } as unknown as EventEnvelope;
    await run(batchOf([bad]));
    const status = (await api("/events/dead-letters", { token: adminKey })).body;
    expect(status).toMatchObject({ pending: 3, invalid: 1, latestInvalid: [{ eventId: bad.eventId, type: "order_paid" }] });
    expect(status.latestInvalid[0].error).toContain("payload.amountCents");
    // Another tenant sees none of them.
    expect((await api("/events/dead-letters", { token: (await createTenant("DLQ-other")).adminKey })).body).toEqual({ pending: 0, invalid: 0, latestInvalid: [] });

    const replay = await api("/events/dead-letters/replay", { method: "POST", token: adminKey });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ replayed: 2, invalid: 1, remaining: 1 });
    const kept = await env.DB.prepare("SELECT replayed_at, last_error, next_at FROM event_dead_letters WHERE event_id = ?").bind(bad.eventId).first<{ replayed_at: string | null; last_error: string; next_at: number }>();
    expect(kept).toMatchObject({ replayed_at: null, next_at: Number.MAX_SAFE_INTEGER });
    expect(kept!.last_error).toContain("payload.amountCents");
    // A second replay sends nothing again and still answers.
    expect((await api("/events/dead-letters/replay", { method: "POST", token: adminKey })).body).toEqual({ replayed: 0, invalid: 1, remaining: 1 });
  });

  it("rejects a batch with a forged signature at the warehouse", async () => {
    const body = JSON.stringify({ events: events("tn_forged", 1) });
    const res = await fetch(`${inject("warehouseUrl")}/v1/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-kaquan-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
      body,
    });
    expect(res.status).toBe(401);
  });

  it("queues a bulk of events with long Chinese labels: each message stays under the Queue's 128 KB (Chinese text takes 2 bytes a character there)", async () => {
    const tenantId = `tn_cjk_${Date.now()}`;
    const label = "双十一限时秒杀活动".repeat(25).slice(0, 200); // the longest label a payload takes, every character outside ASCII
    const bulk = Array.from({ length: 1000 }, () => buildEvent({
      tenantId, type: "page_view",
      payload: { path: label, origin: label, utmSource: label, utmMedium: label, utmCampaign: label, shareLink: label },
    }));
    await expect(sendJournaled(env, bulk)).resolves.toBeUndefined();
    // And they are valid events: the consumer delivers every one to the warehouse.
    await expect.poll(() => warehouseCount(tenantId), { timeout: 30_000, interval: 250 }).toBe(1000);
  });
});
