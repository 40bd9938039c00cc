import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../../worker/scheduled";
import { compensate } from "../../worker/services/compensation";
import { consoleRefund } from "../../worker/services/partial-refunds";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, dyingAfterFirstBatch, recordedOfType } from "./helpers";


async function paidOrder(units: number) {
  const s = await shopWithKeys(units);
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `prc-${crypto.randomUUID()}`, json: { productId: s.productId, quantity: units } });
  expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
  return { ...s, orderId: o.body.id as string, cookie: o.cookie! };
}

const rows = (sql: string, ...args: unknown[]) => env.DB.prepare(sql).bind(...args).all<any>().then((r) => r.results);
/** The request is long over: its refund row is three minutes old. */
const age = (orderId: string) => env.DB.prepare("UPDATE payments SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-180 seconds') WHERE order_id = ? AND kind = 'refund'").bind(orderId).run();
const ofOrder = async (tenantId: string, type: string, orderId: string) => (await recordedOfType(tenantId, type)).filter((e) => e.payload.orderId === orderId);

describe("a refund killed between its reservation and its record", { timeout: 90_000 }, () => {
  it("a complaint refunded (售后 compensation): the money goes back and the refund is recorded by the cron, once", async () => {
    const { tenant, slug, adminKey, orderId, cookie } = await paidOrder(1);
    const code = (await rows("SELECT code FROM vouchers WHERE order_id = ?", orderId))[0].code;
    const open = await shop(slug, `/vouchers/${code}/report`, { method: "POST", cookie, json: { problem: "other" } });
    expect(open.body).toMatchObject({ status: "open", policy: "manual" });
    const complaintId = open.body.id as string;
    const complaint = await env.DB.prepare("SELECT * FROM complaints WHERE id = ?").bind(complaintId).first<any>();
    await expect(compensate(dyingAfterFirstBatch(), complaint, "refund")).rejects.toThrow();
    expect((await rows("SELECT status FROM complaints WHERE id = ?", complaintId))[0].status).toBe("refunded");

    await age(orderId);
    await runScheduled(env);
    await runScheduled(env);
    expect(await rows("SELECT amount_cents, status FROM payments WHERE order_id = ? AND kind = 'refund'", orderId)).toEqual([{ amount_cents: 1990, status: "succeeded" }]);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toHaveLength(0); // a compensation's voucher_refunded names no order
    expect((await recordedOfType(tenant.id, "voucher_refunded")).filter((e) => e.payload.complaintId === complaintId)).toHaveLength(1);
    expect((await recordedOfType(tenant.id, "voucher_compensated")).filter((e) => e.payload.complaintId === complaintId)).toHaveLength(1);
    expect(await ofOrder(tenant.id, "order_refunded", orderId)).toHaveLength(1);
    expect((await api(`/orders/${orderId}/detail`, { token: adminKey })).body.order.status).toBe("refunded");
  });
});

describe("a console part refund killed between its reservation and its record", { timeout: 90_000 }, () => {
  it("is refunded at the gateway and recorded by the cron once: voucher_refunded, order_partially_refunded, the order closed when nothing is left", async () => {
    const { tenant, adminKey, orderId } = await paidOrder(2);
    // The last part: ¥19.90 of ¥39.80 was refunded before, this takes the rest and the right left.
    expect((await api(`/orders/${orderId}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 1990, units: 1, reason: "退一张" } })).status).toBe(201);
    await expect(consoleRefund(dyingAfterFirstBatch(), tenant.id, orderId, { amountCents: 1990, units: 1, reason: "再退一张" }, null)).rejects.toThrow();
    // What the crash left: the right taken back, the refund pending, nothing recorded.
    expect((await rows("SELECT status FROM vouchers WHERE order_id = ?", orderId)).map((v) => v.status)).toEqual(["refunded", "refunded"]);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toHaveLength(1);

    await age(orderId);
    await runScheduled(env);
    await runScheduled(env);
    const refunds = await rows("SELECT amount_cents, status FROM payments WHERE order_id = ? AND kind = 'refund' ORDER BY created_at", orderId);
    expect(refunds).toEqual([{ amount_cents: 1990, status: "succeeded" }, { amount_cents: 1990, status: "succeeded" }]);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toHaveLength(2);
    expect(await ofOrder(tenant.id, "order_partially_refunded", orderId)).toHaveLength(2);
    expect(await ofOrder(tenant.id, "order_refunded", orderId)).toHaveLength(1);
    const detail = await api(`/orders/${orderId}/detail`, { token: adminKey });
    expect(detail.body.order.status).toBe("refunded");
    expect(detail.body.refundableCents).toBe(0);
  });

  it("refused by the gateway after the crash: its right is given back, nothing is recorded", async () => {
    const { tenant, adminKey, orderId } = await paidOrder(2);
    await expect(consoleRefund(dyingAfterFirstBatch(), tenant.id, orderId, { amountCents: 990, units: 1, reason: "退一张" }, null)).rejects.toThrow();
    // The gateway's refusal, as the minute poll records it.
    await env.DB.prepare("UPDATE payments SET status = 'failed' WHERE order_id = ? AND kind = 'refund'").bind(orderId).run();
    await age(orderId);
    await runScheduled(env);
    expect((await rows("SELECT status FROM vouchers WHERE order_id = ?", orderId)).map((v) => v.status)).toEqual(["issued", "issued"]);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toEqual([]);
    expect(await ofOrder(tenant.id, "order_partially_refunded", orderId)).toEqual([]);
    const detail = await api(`/orders/${orderId}/detail`, { token: adminKey });
    expect(detail.body.order.status).toBe("delivered");
    expect(detail.body.refundableCents).toBe(3980);
  });
});
