import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { EventEnvelope } from "../../schema/events";
import { signBody } from "../../worker/domain/signature";
import { runScheduled } from "../../worker/scheduled";
import { driveDeliveries } from "../../worker/services/delivery-jobs";
import { acceptPaymentNotice as acceptRaw } from "../../worker/services/fulfilment";
import type { PaymentNotice } from "../../worker/payments/provider";
// The gateway took the money first (its books say so), as in production.
const acceptPaymentNotice = async (e: Env, p: string, n: PaymentNotice) => acceptRaw(e, p, await paidAtSandbox(e, n));
import { createOrder } from "../../worker/services/orders";
import { paidAtSandbox, rechargeShop } from "./commerce-helpers";
import { api, recordedEvents } from "./helpers";

const SECRET = "test-supplier-sandbox-secret";

async function supplier(name: string, path: string, body?: unknown) {
  const raw = body === undefined ? "" : JSON.stringify(body);
  const res = await fetch(`${inject("supplierUrl")}/${name}${path}`, {
    method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json", "x-supplier-signature": await signBody(SECRET, raw) },
    body: body === undefined ? undefined : raw,
  });
  return res.json() as Promise<any>;
}


/** Paid, and then the process died: the payment's transaction committed, the delivery after it never ran. */
async function paidThenCrashed(s: { tenantId: string; productId: string }, e: Env = env) {
  const { order, paymentId } = await createOrder(e, { tenantId: s.tenantId, buyerId: `byr_${crypto.randomUUID().slice(0, 8)}`, productId: s.productId, idempotencyKey: `crash-${crypto.randomUUID()}`, rechargeAccount: "13800138000" });
  const out = await acceptPaymentNotice(e, "sandbox", { type: "payment.succeeded", gatewayTxnId: `sbx_txn_${crypto.randomUUID()}`, paymentId: paymentId!, orderId: order.id, amountCents: order.amount_cents, currency: "CNY" });
  expect(out.order.status).toBe("paid");
  return order.id;
}

/** Moves the clock of one order back, as if `seconds` had passed since it was paid. */
async function age(orderId: string, seconds: number) {
  const shift = `-${seconds} seconds`;
  await env.DB.prepare("UPDATE orders SET paid_at = strftime('%Y-%m-%dT%H:%M:%fZ', paid_at, ?), next_delivery_at = strftime('%Y-%m-%dT%H:%M:%fZ', next_delivery_at, ?) WHERE id = ?")
    .bind(shift, shift, orderId).run();
}

const orderRow = (id: string) => env.DB.prepare("SELECT * FROM orders WHERE id = ?").bind(id).first<any>();
const vouchersOf = (id: string) => env.DB.prepare("SELECT meta FROM vouchers WHERE order_id = ?").bind(id).all<{ meta: string }>().then((r) => r.results.map((v) => JSON.parse(v.meta)));
const paymentsOf = (id: string) => env.DB.prepare("SELECT kind, status FROM payments WHERE order_id = ? ORDER BY kind").bind(id).all().then((r) => r.results);

function recordingEnv() {
  const sent: EventEnvelope[] = [];
  const events = { send: async (body: EventEnvelope) => void sent.push(body), sendBatch: async (msgs: { body: EventEnvelope }[]) => void sent.push(...msgs.map((m) => m.body)) };
  return { spy: new Proxy(env, { get: (t, k) => (k === "EVENTS" ? events : Reflect.get(t, k)) }) as Env, sent };
}

describe("paid orders are always driven to delivered or refunded", { timeout: 60_000 }, () => {
  it("a recharge paid just before a crash is delivered by the cron once its lease lapses, and only once", async () => {
    const s = await rechargeShop();
    const id = await paidThenCrashed(s);
    await runScheduled(env);
    expect((await orderRow(id)).status).toBe("paid"); // the paying request still holds the lease
    await age(id, 60);
    await runScheduled(env);
    expect((await orderRow(id)).status).toBe("delivered");
    const vouchers = await vouchersOf(id);
    expect(vouchers).toHaveLength(1);
    await age(id, 600);
    await runScheduled(env);
    expect(await vouchersOf(id)).toHaveLength(1);
    expect(await paymentsOf(id)).toEqual([{ kind: "charge", status: "succeeded" }]);
  });

  it("a retry asks the suppliers first: a recharge that went through before the crash is not bought again elsewhere", async () => {
    const s = await rechargeShop();
    const id = await paidThenCrashed(s);
    // The first run reached the cheap supplier, then died; meanwhile the cheap supplier's circuit opened.
    const first = await supplier(s.cheap, "/v1/recharge", { orderRef: `${id}:${s.productId}`, sku: "PHONE-30", account: "13800138000", quantity: 1 });
    expect(first.status).toBe("succeeded");
    await env.DB.prepare("UPDATE suppliers SET consecutive_failures = 3, open_until = ? WHERE tenant_id = ? AND name = ?")
      .bind(new Date(Date.now() + 600_000).toISOString(), s.tenantId, s.cheap).run();
    await age(id, 60);
    const run = await driveDeliveries(env);
    expect(run.delivered).toBeGreaterThanOrEqual(1);
    expect((await orderRow(id)).status).toBe("delivered");
    const [voucher] = await vouchersOf(id);
    expect(voucher.supplierRef).toBe(first.supplierRef);
    expect((await supplier(s.dear, `/v1/orders/${encodeURIComponent(`${id}:${s.productId}`)}`)).status).toBe("unknown");
  });

  it("an order a crash left 'failed' before its refund is refunded by the cron, exactly once", async () => {
    const s = await rechargeShop();
    const id = await paidThenCrashed(s);
    await env.DB.prepare("UPDATE orders SET status = 'failed', failure_reason = 'all_suppliers_failed' WHERE id = ?").bind(id).run();
    await age(id, 60);
    await driveDeliveries(env);
    expect((await orderRow(id)).status).toBe("refunded");
    await age(id, 600);
    await driveDeliveries(env);
    expect(await paymentsOf(id)).toEqual([{ kind: "charge", status: "succeeded" }, { kind: "refund", status: "succeeded" }]);
    expect((await api(`/products/${s.productId}/stock`, { token: s.adminKey })).body).toMatchObject({ reserved: 0 });
  });

  it("an order still open past its deadline raises one alert event", async () => {
    const s = await rechargeShop();
    const { spy } = recordingEnv();
    const id = await paidThenCrashed(s);
    // Paid 11 minutes ago, and a runner holds the lease right now (a long supplier stall).
    await age(id, 11 * 60);
    await env.DB.prepare("UPDATE orders SET next_delivery_at = ? WHERE id = ?").bind(new Date(Date.now() + 300_000).toISOString(), id).run();
    await driveDeliveries(spy);
    await driveDeliveries(spy);
    const alerts = (await recordedEvents(s.tenantId)).filter((e) => e.type === "alert" && (e.payload as any).orderId === id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.payload).toMatchObject({ kind: "order_stuck", status: "paid", deadlineMinutes: 10 });
  });
});
