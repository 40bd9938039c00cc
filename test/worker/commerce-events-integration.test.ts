import { recordedEvents } from "./helpers";
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
    const { spy } = recordingEnv();
    const secrets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { order, paymentId } = await createOrder(spy, { tenantId: tenant.id, buyerId: `byr_ev${i}`, productId, idempotencyKey: `events-${i}-xyz` });
      const out = await acceptPaymentNotice(spy, "sandbox", { type: "payment.succeeded", gatewayTxnId: `sbx_txn_${i}_abcdef`, paymentId: paymentId!, orderId: order.id, amountCents: order.amount_cents, currency: "CNY" });
      await deliverOrder(spy, out.order);
      const row = await getVoucherBySource(env.DB, tenant.id, `order:${order.id}:0`);
      secrets.push((await revealVoucher(env, row!)).secret!);
    }
    const sent = await recordedEvents(tenant.id);
    const types = sent.map((e) => e.type);
    for (const t of ["order_created", "order_paid", "order_delivered", "voucher_issued"]) expect(types.filter((x) => x === t)).toHaveLength(2);
    expect(types.filter((x) => x === "low_stock")).toHaveLength(1);
    const all = JSON.stringify(sent);
    for (const s of secrets) expect(all).not.toContain(s);
    for (const e of sent) expect(EventEnvelope.safeParse(e).success, JSON.stringify(e) + JSON.stringify(EventEnvelope.safeParse(e).error?.issues)).toBe(true);
  });

  it("issueVoucher is idempotent by source key and generates encrypted coupon codes", async () => {
    const { tenant, adminKey } = await shopWithKeys(0);
    const { api } = await import("./helpers");
    const coupon = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "领券中心 5 元券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 3 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
    const { spy } = recordingEnv();
    const input = { tenantId: tenant.id, holderId: "byr_winner", productId: coupon.body.id, sourceKey: "claim:clm_1", campaignId: "cmp_1" };
    const [a, b] = await Promise.all([issueVoucher(spy, input), issueVoucher(spy, input)]);
    expect(a.voucher.id).toBe(b.voucher.id);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect((await recordedEvents(tenant.id)).filter((e) => e.type === "voucher_issued")).toHaveLength(1);
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
    const { spy } = recordingEnv();
    for (let i = 0; i < 4; i++) await createOrder(spy, { tenantId: tenant.id, buyerId: `byr_c${i}`, productId: c.body.id, idempotencyKey: `coupon-low-${i}` });
    const sent = await recordedEvents(tenant.id);
    expect(sent.filter((e) => e.type === "low_stock").map((e) => e.payload.available)).toEqual([2]);
    expect(sent.filter((e) => e.type === "voucher_issued")).toHaveLength(4);
  });

  it("issueVoucher for a card-key prize takes one key per source, never two, and refuses when none is left", async () => {
    const { tenant, productId } = await shopWithKeys(2);
    const { spy } = recordingEnv();
    const tries = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => issueVoucher(spy, { tenantId: tenant.id, holderId: `byr_w${i}`, productId, sourceKey: `prize:draw_${i % 3}` })),
    );
    const ok = tries.filter((t) => t.status === "fulfilled").map((t) => (t as PromiseFulfilledResult<Awaited<ReturnType<typeof issueVoucher>>>).value);
    const refused = tries.filter((t) => t.status === "rejected");
    // three sources compete for two keys: two sources get one key each (their duplicates return the same voucher)
    expect(new Set(ok.map((v) => v.voucher.id)).size).toBe(2);
    expect(ok).toHaveLength(4);
    expect(refused.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["sold_out", "sold_out"]);
    const keys = await env.DB.prepare("SELECT order_id, status FROM card_keys WHERE tenant_id = ? ORDER BY order_id").bind(tenant.id).all<{ order_id: string; status: string }>();
    expect(keys.results.every((k) => k.status === "delivered" && k.order_id.startsWith("prize:"))).toBe(true);
    const secrets = await Promise.all([...new Set(ok.map((v) => v.voucher.id))].map(async (id) => {
      const row = await env.DB.prepare("SELECT * FROM vouchers WHERE id = ?").bind(id).first();
      return (await revealVoucher(env, row as never)).secret;
    }));
    expect(new Set(secrets).size).toBe(2);
    expect(secrets.every((x) => x?.startsWith("KEY-"))).toBe(true);
  });

  it("issueVoucher for a coupon counts the sale against stock, once per source", async () => {
    const { tenant, adminKey } = await shopWithKeys(0);
    const { api } = await import("./helpers");
    const c = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "领券 3 元", priceCents: 0, faceValueCents: 300, validity: { kind: "relative", days: 3 }, scope: "全场", stockTotal: 2, config: { coupon: { thresholdCents: 0, discountCents: 300 } } } });
    const { spy } = recordingEnv();
    const issue = (k: string) => issueVoucher(spy, { tenantId: tenant.id, holderId: "byr_z", productId: c.body.id, sourceKey: k });
    await Promise.all([issue("claim:a"), issue("claim:a"), issue("claim:b")]);
    await expect(issue("claim:c")).rejects.toMatchObject({ code: "sold_out" });
    expect((await api(`/products/${c.body.id}/stock`, { token: adminKey })).body).toMatchObject({ available: 0, delivered: 2 });
  });
});
