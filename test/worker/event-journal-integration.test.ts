import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { JournaledMessage } from "../../schema/events";
import worker from "../../worker/index";
import { buildEvent } from "../../worker/queue/emit";
import { resendJournal, RESEND_AFTER_S, sendJournaled } from "../../worker/queue/journal";
import { api, createTenant, PLATFORM } from "./helpers";

/**
 * The event journal: a message the Queue takes and then loses (a killed local broker) still reaches the warehouse,
 * because its D1 row stays until the consumer has the warehouse's answer, and the cron sends it again.
 */
type Row = { id: string; events: number; resends: number; resend_at: number };
const rowsOf = async (ids: string[]) =>
  (await env.DB.prepare("SELECT id, events, resends, resend_at FROM event_journal WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(ids)).all<Row>()).results;

async function warehouseCount(tenantId: string): Promise<number> {
  const res = await fetch(`${inject("warehouseUrl")}/test/count?tenant=${tenantId}&type=`);
  return ((await res.json()) as { n: number }).n;
}

const pageViews = (tenantId: string, n: number) => Array.from({ length: n }, (_, i) => buildEvent({ tenantId, type: "page_view", payload: { path: `/j/${i}` } }));

/** An env whose events Queue takes every message and loses it, keeping what it was given. */
function losingQueue() {
  const lost: JournaledMessage[] = [];
  const spy = new Proxy(env, { get: (t, k) => (k === "EVENTS" ? { send: async (body: JournaledMessage) => void lost.push(body) } : Reflect.get(t, k)) }) as Env;
  return { spy, lost };
}

/** The real Queue, reporting the backlog given (other files' messages share it; the test says what it holds). */
function realQueueReporting(backlog: { count: number; oldestAt: number }) {
  const queue = { send: (body: unknown, o?: QueueSendOptions) => env.EVENTS.send(body, o), metrics: async () => ({ backlogCount: backlog.count, backlogBytes: 0, oldestMessageTimestamp: backlog.oldestAt }) };
  return new Proxy(env, { get: (t, k) => (k === "EVENTS" ? queue : Reflect.get(t, k)) }) as Env;
}

async function consume(messages: JournaledMessage[], e: Env, queue = "kaquan-events") {
  const batch = createMessageBatch<unknown>(queue, messages.map((body, i) => ({ id: `jm-${body.journal}-${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, e);
  return getQueueResult(batch, ctx);
}

describe("event journal: sent, lost, sent again", () => {
  it("a message the Queue lost stays journaled and reaches the warehouse when the cron sends it again; its row then goes", async () => {
    const tenantId = `tn_jr_${Date.now()}`;
    const { spy, lost } = losingQueue();
    await sendJournaled(spy, pageViews(tenantId, 1500)); // several messages (~96 KB each)
    const sizes = lost.map((m) => m.events.length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1500);
    const ids = lost.map((m) => m.journal);
    expect((await rowsOf(ids)).map((r) => r.events).sort()).toEqual([...sizes].sort());
    expect(await warehouseCount(tenantId)).toBe(0);

    // Not due yet: a message may still be on its way; nothing is sent again before RESEND_AFTER_S.
    const due = Date.now() + (RESEND_AFTER_S + 1) * 1000;
    await resendJournal(realQueueReporting({ count: 0, oldestAt: 0 }), Date.now());
    expect((await rowsOf(ids)).every((r) => r.resends === 0)).toBe(true);
    // Due, but the Queue still holds a message older than these: they may be behind it, so they wait.
    await resendJournal(realQueueReporting({ count: 1, oldestAt: Date.now() - 5_000 }), due);
    expect((await rowsOf(ids)).every((r) => r.resends === 0)).toBe(true);

    // Due, and nothing older waits: the cron sends them on the real Queue, whose consumer stores the events and
    // deletes the rows.
    await resendJournal(realQueueReporting({ count: 0, oldestAt: 0 }), due);
    await expect.poll(() => warehouseCount(tenantId), { timeout: 30_000, interval: 250 }).toBe(1500);
    await expect.poll(async () => (await rowsOf(ids)).length, { timeout: 10_000, interval: 200 }).toBe(0);
  });

  it("after an outage the cron sends every due message again in one run, in rounds, not 200 a minute", async () => {
    const tenantId = `tn_jr_many_${Date.now()}`;
    const { spy, lost } = losingQueue();
    for (let i = 0; i < 450; i++) await sendJournaled(spy, pageViews(tenantId, 1));
    const ids = lost.map((m) => m.journal);
    expect(ids).toHaveLength(450);
    const again = losingQueue();
    const resent = await resendJournal(new Proxy(again.spy, { get: (t, k) => (k === "EVENTS" ? { ...Reflect.get(t, k), metrics: async () => ({ backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 }) } : Reflect.get(t, k)) }) as Env, Date.now() + (RESEND_AFTER_S + 1) * 1000);
    expect(resent).toBeGreaterThanOrEqual(450);
    expect(ids.every((id) => again.lost.some((m) => m.journal === id))).toBe(true);
  });

  it("a message that stays unconfirmed goes again with back-off: 2 min, 4 min … never more often than 30 min", async () => {
    const { spy, lost } = losingQueue();
    await sendJournaled(spy, pageViews(`tn_jr_backoff_${Date.now()}`, 2));
    const [id] = lost.map((m) => m.journal);
    const stillLost = new Proxy(env, { get: (t, k) => (k === "EVENTS" ? { send: async () => undefined, metrics: async () => ({ backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 }) } : Reflect.get(t, k)) }) as Env;
    let at = (await rowsOf([id!]))[0]!.resend_at;
    const gaps: number[] = [];
    for (let i = 0; i < 7; i++) {
      await resendJournal(stillLost, at);
      const row = (await rowsOf([id!]))[0]!;
      expect(row.resends).toBe(i + 1);
      gaps.push((row.resend_at - at) / 1000);
      at = row.resend_at;
    }
    expect(gaps).toEqual([120, 240, 480, 960, 1800, 1800, 1800]);
    await env.DB.prepare("DELETE FROM event_journal WHERE id = ?").bind(id!).run();
  });

  it("the consumer keeps the row while the warehouse is down (resend held back past the Queue's retry) and deletes it once stored", async () => {
    const tenantId = `tn_jr_down_${Date.now()}`;
    const { spy, lost } = losingQueue();
    await sendJournaled(spy, pageViews(tenantId, 3));
    const [message] = lost;
    const down = new Proxy(env, { get: (t, k) => (k === "WAREHOUSE_URL" ? "http://127.0.0.1:9" : Reflect.get(t, k)) }) as Env;
    const before = (await rowsOf([message!.journal]))[0]!;
    const failed = await consume([message!], down);
    expect(failed.retryMessages.length).toBe(1);
    const held = (await rowsOf([message!.journal]))[0]!;
    expect(held.resend_at).toBeGreaterThan(before.resend_at);

    const stored = await consume([message!], env);
    expect(stored.explicitAcks.length).toBe(1);
    expect(await warehouseCount(tenantId)).toBe(3);
    expect(await rowsOf([message!.journal])).toEqual([]);
    // Delivered twice (a resend of a message that was only slow): stored once.
    await consume([message!], env);
    expect(await warehouseCount(tenantId)).toBe(3);
  });

  it("a message the Queue gave up on is parked as dead letters and leaves the journal (the dead-letter re-drive owns it now)", async () => {
    const tenantId = `tn_jr_dlq_${Date.now()}`;
    const { spy, lost } = losingQueue();
    await sendJournaled(spy, pageViews(tenantId, 2));
    const result = await consume(lost, env, "kaquan-events-dlq");
    expect(result.explicitAcks.length).toBe(1);
    expect(await rowsOf(lost.map((m) => m.journal))).toEqual([]);
    const parked = await env.DB.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
    expect(parked?.n).toBe(2);
  });

  it("an operator (and npm start, as it starts) sends every in-flight message again at once, due or not; once each", async () => {
    const tenantId = `tn_jr_now_${Date.now()}`;
    const { spy, lost } = losingQueue();
    await sendJournaled(spy, pageViews(tenantId, 800));
    const ids = lost.map((m) => m.journal);
    const { adminKey } = await createTenant();
    expect((await api("/platform/events/in-flight/resend", { method: "POST", token: adminKey })).status).toBe(401);
    // Everything journaled before the call goes (other files' rows too), whatever the Queue reports holding.
    const res = await api("/platform/events/in-flight/resend", { method: "POST", token: PLATFORM });
    expect(res.status).toBe(200);
    expect(res.body.resent).toBeGreaterThanOrEqual(ids.length);
    // Each sent once: a row is still there with one resend, or already confirmed by the consumer and gone.
    expect((await rowsOf(ids)).every((r) => r.resends === 1)).toBe(true);
    await expect.poll(() => warehouseCount(tenantId), { timeout: 30_000, interval: 250 }).toBe(800);
    await expect.poll(async () => (await rowsOf(ids)).length, { timeout: 10_000, interval: 200 }).toBe(0);
  });

  it("health shows events sent but not yet confirmed, with the oldest one's age", async () => {
    const { spy } = losingQueue();
    await sendJournaled(spy, pageViews(`tn_jr_health_${Date.now()}`, 4));
    const res = await api("/health");
    expect(res.body.events.inFlight.messages).toBeGreaterThanOrEqual(1);
    expect(res.body.events.inFlight.pending).toBeGreaterThanOrEqual(4);
    expect(res.body.events.inFlight.oldestAgeSeconds).not.toBeNull();
  });
});

