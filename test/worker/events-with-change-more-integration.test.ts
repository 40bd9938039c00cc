import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EventEnvelope } from "../../schema/events";
import { getOrderRow } from "../../worker/db/orders";
import { resendJournal, RESEND_AFTER_S } from "../../worker/queue/journal";
import { shardOf } from "../../worker/services/campaigns";
import { acceptPaymentNotice as acceptRaw, failAndRefund, finishRefund } from "../../worker/services/fulfilment";
import type { PaymentNotice } from "../../worker/payments/provider";
// The gateway took the money first (its books say so), as in production.
const acceptPaymentNotice = async (e: Env, p: string, n: PaymentNotice) => acceptRaw(e, p, await paidAtSandbox(e, n));
import { memberBuyer } from "../../worker/services/members";
import { createOrder } from "../../worker/services/orders";
import { api, createTenant, countRows, failingEnv, recordedOfType } from "./helpers";
import { couponProductOf, liveCampaign, runShardAlarm, sessionHeader } from "./campaign-helpers";
import { paidAtSandbox, shopWithKeys } from "./commerce-helpers";

const ofType = recordedOfType;
const count = countRows;
const alerts = async (tenantId: string, kind: string) => (await ofType(tenantId, "alert")).filter((e) => e.payload.kind === kind);

const notice = (order: { id: string; amount_cents: number }, paymentId: string, txn = `sbx_txn_${crypto.randomUUID()}`) =>
  ({ type: "payment.succeeded" as const, gatewayTxnId: txn, paymentId, orderId: order.id, amountCents: order.amount_cents, currency: "CNY" });

describe("events recorded with their change (more places)", { timeout: 60_000 }, () => {
  it("a member's first exchange: one buyer and one user_signed_up, in the insert's batch; a failed batch leaves neither", async () => {
    const { tenant } = await createTenant();
    await expect(memberBuyer(failingEnv(), tenant.id, "m-broken")).rejects.toThrow();
    expect(await count("SELECT count(*) AS n FROM buyers WHERE tenant_id = ?", tenant.id)).toBe(0);
    expect(await ofType(tenant.id, "user_signed_up")).toHaveLength(0);

    const [a, b] = await Promise.all([memberBuyer(env, tenant.id, "m-1"), memberBuyer(env, tenant.id, "m-1")]);
    const again = await memberBuyer(env, tenant.id, "m-1");
    expect(a.id).toBe(b.id);
    expect(again.id).toBe(a.id);
    expect((await ofType(tenant.id, "user_signed_up")).map((e) => e.actor.userId)).toEqual([a.id]);
  });

  it("money for an order that can no longer take it: the alert is recorded with the payment, once; a normal payment alerts nothing", async () => {
    const { tenant, productId } = await shopWithKeys(3);
    const paid = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_ok", productId, idempotencyKey: `ok-${crypto.randomUUID()}` });
    expect((await acceptPaymentNotice(env, "sandbox", notice(paid.order, paid.paymentId!))).applied).toBe(true);
    expect(await alerts(tenant.id, "payment_for_closed_order")).toHaveLength(0);

    const { order, paymentId } = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_late", productId, idempotencyKey: `late-${crypto.randomUUID()}` });
    await env.DB.prepare("UPDATE orders SET status = 'failed' WHERE id = ?").bind(order.id).run(); // closed meanwhile
    const n = notice(order, paymentId!);
    // The payment's batch fails: the payment stays pending and nothing is alerted.
    await expect(acceptPaymentNotice(failingEnv(), "sandbox", n)).rejects.toThrow();
    expect(await count("SELECT count(*) AS n FROM payments WHERE id = ? AND status = 'pending'", paymentId)).toBe(1);
    expect(await alerts(tenant.id, "payment_for_closed_order")).toHaveLength(0);

    const out = await acceptPaymentNotice(env, "sandbox", n);
    expect(out.applied).toBe(false);
    const again = await acceptPaymentNotice(env, "sandbox", n); // the gateway repeats its notice
    expect(again.applied).toBe(false);
    const recorded = await alerts(tenant.id, "payment_for_closed_order");
    expect(recorded.map((e) => [e.eventId, e.payload.orderId, e.payload.status])).toEqual([[`evpc_${paymentId}`, order.id, "failed"]]);
    for (const e of recorded) expect(EventEnvelope.safeParse(e).success).toBe(true);
  });

  it("an order that fails and is refunded: the order_failed alert is recorded with the refund, once across reruns", async () => {
    const { tenant, productId } = await shopWithKeys(2);
    const { order, paymentId } = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_rf", productId, idempotencyKey: `rf-${crypto.randomUUID()}` });
    await acceptPaymentNotice(env, "sandbox", notice(order, paymentId!));
    await env.DB.prepare("UPDATE orders SET status = 'paid' WHERE id = ?").bind(order.id).run(); // as if delivery had not run
    const refunded = await failAndRefund(env, (await getOrderRow(env.DB, tenant.id, order.id))!, "delivery_error");
    expect(refunded.status).toBe("refunded");
    await finishRefund(env, refunded, "delivery_error"); // a cron rerun on the refunded order
    const recorded = await alerts(tenant.id, "order_failed");
    expect(recorded.map((e) => [e.eventId, e.payload.orderId, e.payload.refunded])).toEqual([[`evaf_${order.id}`, order.id, true]]);
    expect(await ofType(tenant.id, "order_refunded")).toHaveLength(1);
  });

  it("a task completion records campaign_task_completed in the shard's own transaction; past the daily limit nothing is recorded", async () => {
    const { tenant, adminKey } = await createTenant();
    const productId = await couponProductOf(tenant.id);
    const c = await liveCampaign(adminKey, {
      kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "任务抽奖",
      prizes: [{ id: "p", name: "5元券", productId, stock: 5, weight: 10 }], noPrizeWeight: 90, drawsPerDay: 1,
      tasks: [{ id: "share", name: "分享给好友", extraChances: 1, perDay: 1 }], shards: 1,
    });
    const shard = shardOf(env, c.id, 0);
    // The shard's Queue refuses at first; once it accepts, the event goes out once.
    const sent: EventEnvelope[] = [];
    const queue = { down: true, async send(m: { events: EventEnvelope[] }) { if (queue.down) throw new Error("Queue send failed"); sent.push(...m.events); } };
    await runInDurableObject(shard, (instance) => {
      (instance as unknown as { env: Env }).env = new Proxy(env, { get: (t, k) => (k === "EVENTS" ? queue : Reflect.get(t, k)) }) as Env;
    });
    const rows = () => runInDurableObject(shard, (_i, state) => state.storage.sql.exec<{ body: string; attempts: number }>("SELECT body, attempts FROM events").toArray());

    const headers = await sessionHeader(c.id, "tasker");
    const task = (id = "share") => api(`/public/campaigns/${c.id}/tasks/${id}`, { method: "POST", headers, json: {} });
    expect((await task()).body).toMatchObject({ completedToday: 1, drawsLeftToday: 2 });
    expect((await task()).body).toMatchObject({ completedToday: 1, drawsLeftToday: 2 }); // once a day: counts nothing
    expect((await task("nope")).status).toBe(404);
    // In the shard's outbox until its alarm, 200 ms after the write. On a busy machine the three requests above can take
    // longer, and the alarm has already handed the row on: then the journal and the Queue below must show it once.
    const recorded = await rows();
    expect(recorded.length).toBeLessThanOrEqual(1);
    if (recorded.length) {
      expect(JSON.parse(recorded[0]!.body)).toMatchObject({ type: "campaign_task_completed", tenantId: tenant.id, actor: { userId: "tasker" }, payload: { campaignId: c.id, taskId: "share", completedToday: 1 } });
      // The shard's outbox hands the event to the journal (D1) and clears its row; the refused send is the journal's
      // to repeat: the cron sends it once the Queue takes messages again.
      await runShardAlarm(shard);
    }
    expect(await rows()).toHaveLength(0);
    expect(sent).toHaveLength(0);
    const journaled = await env.DB.prepare("SELECT count(*) AS n FROM event_journal WHERE instr(body, ?) > 0 AND instr(body, 'campaign_task_completed') > 0").bind(c.id).first<{ n: number }>();
    expect(journaled?.n).toBe(1);
    queue.down = false;
    const spy = new Proxy(env, { get: (t, k) => (k === "EVENTS" ? { ...queue, metrics: async () => ({ backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 }) } : Reflect.get(t, k)) }) as Env;
    await resendJournal(spy, Date.now() + (RESEND_AFTER_S + 1) * 1000);
    const completed = sent.filter((e) => e.type === "campaign_task_completed" && e.payload.campaignId === c.id);
    expect(completed.map((e) => [e.actor.userId, e.payload.taskId, e.payload.completedToday])).toEqual([["tasker", "share", 1]]);
    expect(EventEnvelope.safeParse(completed[0]).success).toBe(true);
    expect(await shard.pendingCount()).toBe(0);
  });
});
