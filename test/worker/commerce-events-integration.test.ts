import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventEnvelope } from "../../schema/events";
import { acceptPaymentNotice, deliverOrder } from "../../worker/services/fulfilment";
import { createOrder } from "../../worker/services/orders";
import { issueVoucher } from "../../worker/services/vouchers";
import { revealVoucher } from "../../worker/services/vouchers-view";
import { getVoucherBySource } from "../../worker/db/vouchers";
import { shopWithKeys } from "./commerce-helpers";

/** The real env, with the events queue replaced by a recorder. */
function recordingEnv() {
  const sent: EventEnvelope[] = [];
  const events = { send: async (body: EventEnvelope) => void sent.push(body), sendBatch: async (msgs: { body: EventEnvelope }[]) => void sent.push(...msgs.map((m) => m.body)) };
  const spy = new Proxy(env, { get: (target, key) => (key === "EVENTS" ? events : Reflect.get(target, key)) }) as Env;
  return { spy, sent };
}

describe("commerce events", { timeout: 60_000 }, () => {
  it("every step emits an event; no card key ever appears in one; low stock raised once at the threshold", async () => {
    const { tenant, productId } = await shopWithKeys(3, { lowStockThreshold: 1 });
    const { spy, sent } = recordingEnv();
    const secrets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { order, paymentId } = await createOrder(spy, { tenantId: tenant.id, buyerId: `byr_ev${i}`, productId, idempotencyKey: `events-${i}-xyz` });
      const out = await acceptPaymentNotice(spy, "sandbox", { type: "payment.succeeded", gatewayTxnId: `sbx_txn_${i}_abcdef`, paymentId: paymentId!, orderId: order.id, amountCents: order.amount_cents, currency: "CNY" });
      await deliverOrder(spy, out.order);
      const row = await getVoucherBySource(env.DB, tenant.id, `order:${order.id}:0`);
      secrets.push((await revealVoucher(env, row!)).secret!);
    }
    const types = sent.map((e) => e.type);
    for (const t of ["order_created", "order_paid", "order_delivered", "voucher_issued"]) expect(types.filter((x) => x === t)).toHaveLength(2);
    expect(types.filter((x) => x === "low_stock")).toHaveLength(1);
    const all = JSON.stringify(sent);
    for (const s of secrets) expect(all).not.toContain(s);
    for (const e of sent) expect(EventEnvelope.safeParse(e).success).toBe(true);
  });

  it("issueVoucher is idempotent by source key and generates encrypted coupon codes", async () => {
    const { tenant, adminKey } = await shopWithKeys(0);
    const { api } = await import("./helpers");
    const coupon = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "领券中心 5 元券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 3 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
    const { spy, sent } = recordingEnv();
    const input = { tenantId: tenant.id, holderId: "byr_winner", productId: coupon.body.id, sourceKey: "claim:clm_1", campaignId: "cmp_1" };
    const [a, b] = await Promise.all([issueVoucher(spy, input), issueVoucher(spy, input)]);
    expect(a.voucher.id).toBe(b.voucher.id);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect(sent.filter((e) => e.type === "voucher_issued")).toHaveLength(1);
    const row = await getVoucherBySource(env.DB, tenant.id, "claim:clm_1");
    expect(row!.secret_enc).toMatch(/^v1\./);
    expect(row!.code).toMatch(/^vc_[A-Za-z0-9]{24}$/);
    expect((await revealVoucher(env, row!)).secret).toMatch(/^[2-9A-Z]{4}-/);
  });

  it("counter stock (coupons) raises low_stock once when it crosses the threshold", async () => {
    const { tenant, adminKey } = await shopWithKeys(0);
    const { api } = await import("./helpers");
    const c = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "8 折券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 3 }, scope: "全场", stockTotal: 4, lowStockThreshold: 2, config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
    await api(`/products/${c.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const { spy, sent } = recordingEnv();
    for (let i = 0; i < 4; i++) await createOrder(spy, { tenantId: tenant.id, buyerId: `byr_c${i}`, productId: c.body.id, idempotencyKey: `coupon-low-${i}` });
    expect(sent.filter((e) => e.type === "low_stock").map((e) => e.payload.available)).toEqual([2]);
    expect(sent.filter((e) => e.type === "voucher_issued")).toHaveLength(4);
  });
});
