import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder } from "../../worker/services/orders";
import { FUTURE, pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, recordedOfType } from "./helpers";

/**
 * One payment never turns into more usable rights than it paid for, whichever after-sale paths meet on one right:
 * a complaint (投诉补偿) and a ticket (售后工单) on the same key, or either after the order was refunded.
 */
async function boughtKey(keys: number, policy: "manual" | "replace" = "manual") {
  const s = await shopWithKeys(keys);
  await api("/compensation-policy", { method: "PUT", token: s.adminKey, json: { policy } });
  const order = await shop(s.slug, "/orders", { method: "POST", idem: `abuse-${crypto.randomUUID()}`, json: { productId: s.productId } });
  expect((await pay(order.body.checkoutUrl)).body.orderStatus).toBe("delivered");
  const cookie = order.cookie!;
  const voucher = (await shop(s.slug, `/orders/${order.body.id}`, { cookie })).body.vouchers[0] as { id: string; code: string };
  return { ...s, cookie, voucher, orderId: order.body.id as string };
}

const rights = async (tenantId: string, orderId: string) =>
  (await env.DB.prepare("SELECT status, count(*) AS n FROM vouchers WHERE tenant_id = ? AND order_id = ? GROUP BY status ORDER BY status").bind(tenantId, orderId).all<{ status: string; n: number }>()).results
    .map((r) => `${r.status}:${r.n}`);
const refunded = async (tenantId: string) =>
  (await env.DB.prepare("SELECT coalesce(sum(amount_cents), 0) AS c FROM payments WHERE tenant_id = ? AND kind = 'refund' AND status != 'failed'").bind(tenantId).first<{ c: number }>())!.c;
const deliveredKeys = async (tenantId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM card_keys WHERE tenant_id = ? AND status = 'delivered'").bind(tenantId).first<{ n: number }>())!.n;

const report = (b: { slug: string; cookie: string; voucher: { code: string } }) =>
  shop(b.slug, `/vouchers/${b.voucher.code}/report`, { method: "POST", cookie: b.cookie, json: { problem: "invalid_key" } });
const ticket = (b: { slug: string; cookie: string; orderId: string }, voucherId?: string) =>
  shop(b.slug, `/orders/${b.orderId}/tickets`, { method: "POST", cookie: b.cookie, json: { reason: "key_invalid", body: "卡密无效", ...(voucherId ? { voucherId } : {}) } });

describe("after-sale paths meeting on one right", { timeout: 90_000 }, () => {
  it("a key replaced by its complaint, then a ticket naming the old key: 补发 is refused, one usable key stays", async () => {
    const b = await boughtKey(4, "replace");
    expect((await report(b)).body.status).toBe("replaced");
    const t = await ticket(b, b.voucher.id);
    expect(t.status).toBe(201);
    const r = await api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("right_not_replaceable");
    expect((await api(`/tickets/${t.body.id}`, { token: b.adminKey })).body.status).toBe("open");
    expect(await rights(b.tenant.id, b.orderId)).toEqual(["issued:1", "voided:1"]);
    expect(await deliveredKeys(b.tenant.id)).toBe(2);
  });

  it("the automatic replace limit counts a ticket's 补发 too: complaint, ticket, complaint gives no third key by itself", async () => {
    const b = await boughtKey(6, "replace");
    expect((await report(b)).body.status).toBe("replaced"); // the one automatic replacement (maxReplacements 1)
    const second = (await shop(b.slug, `/orders/${b.orderId}`, { cookie: b.cookie })).body.vouchers.find((v: { status: string }) => v.status === "issued");
    const t = await ticket(b, second.id);
    expect((await api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } })).status).toBe(200);
    const third = (await shop(b.slug, `/orders/${b.orderId}`, { cookie: b.cookie })).body.vouchers.find((v: { status: string }) => v.status === "issued");
    // Two replacements lead back to the original key now: past the limit, the brand decides.
    const again = await report({ ...b, voucher: third });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "open", policy: "manual", escalation: "replacement_limit" });
    expect(await rights(b.tenant.id, b.orderId)).toEqual(["issued:1", "voided:2"]);
    expect(await deliveredKeys(b.tenant.id)).toBe(3);
  });

  it("a complaint left to the brand, the key replaced meanwhile by a ticket: replace or refund of the complaint is refused", async () => {
    const b = await boughtKey(4);
    const c = await report(b);
    expect(c.body.status).toBe("open");
    const t = await ticket(b, b.voucher.id);
    expect((await api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } })).status).toBe(200);
    for (const action of ["replace", "refund"]) {
      const r = await api(`/complaints/${c.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action } });
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error.code).toBe("right_not_compensable");
    }
    expect(await rights(b.tenant.id, b.orderId)).toEqual(["issued:1", "voided:1"]);
    expect(await refunded(b.tenant.id)).toBe(0);
    expect(await deliveredKeys(b.tenant.id)).toBe(2);
    // The brand can still close it.
    expect((await api(`/complaints/${c.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "reject" } })).body.status).toBe("rejected");
  });

  it("an order refunded in full: its open complaint cannot replace the key, nor can a ticket", async () => {
    const b = await boughtKey(4);
    const c = await report(b);
    const full = await api(`/orders/${b.orderId}/refunds`, { method: "POST", token: b.adminKey, json: { units: 1, reason: "全额退款" } });
    expect(full.status, JSON.stringify(full.body)).toBe(201);
    const r = await api(`/complaints/${c.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } });
    expect(r.status).toBe(409);
    const t = await ticket(b);
    expect(t.status).toBe(201);
    const tr = await api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } });
    expect(tr.status).toBe(409);
    expect(tr.body.error.code).toBe("right_not_replaceable");
    expect(await rights(b.tenant.id, b.orderId)).toEqual(["refunded:1"]);
    expect(await deliveredKeys(b.tenant.id)).toBe(1);
    expect(await refunded(b.tenant.id)).toBe(1990);
  });

  it("a complaint and a ticket replacing the same key at once: one replacement, never two", async () => {
    for (let round = 0; round < 3; round++) {
      const b = await boughtKey(6);
      const c = await report(b);
      const t = await ticket(b, b.voucher.id);
      const [a, z] = await Promise.all([
        api(`/complaints/${c.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } }),
        api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } }),
      ]);
      expect([a.status, z.status].sort(), JSON.stringify([a.body, z.body])).toEqual([200, 409]);
      expect(await rights(b.tenant.id, b.orderId)).toEqual(["issued:1", "voided:1"]);
      expect(await deliveredKeys(b.tenant.id)).toBe(2);
      expect((await env.DB.prepare("SELECT count(*) AS n FROM card_keys WHERE tenant_id = ? AND status = 'reserved'").bind(b.tenant.id).first<{ n: number }>())!.n).toBe(0);
    }
  });
});

describe("a complaint's refund pays back what the right was paid", { timeout: 90_000 }, () => {
  it("two keys bought with a ¥10 coupon: each complaint refund is half of the ¥29.80 paid, not the ¥19.90 list price", async () => {
    const s = await shopWithKeys(4);
    await api("/compensation-policy", { method: "PUT", token: s.adminKey, json: { policy: "refund" } });
    const c = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "10元券", priceCents: 0, faceValueCents: 0, validity: FUTURE, scope: "商城", config: { coupon: { online: true, kind: "threshold", thresholdCents: 0, discountCents: 1000 } } },
    });
    await api(`/products/${c.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } });
    const g = await shop(s.slug, "/guest", { method: "POST" });
    const cookie = g.cookie!;
    const claimed = await createOrder(env, { tenantId: s.tenant.id, buyerId: g.body.buyer.id, productId: c.body.id, idempotencyKey: `cpn-${crypto.randomUUID()}`, unitPriceCents: 0 });
    const coupon = (await env.DB.prepare("SELECT id FROM vouchers WHERE tenant_id = ? AND order_id = ?").bind(s.tenant.id, claimed.order.id).first<{ id: string }>())!.id;
    const o = await shop(s.slug, "/orders", { method: "POST", cookie, idem: `abuse-${crypto.randomUUID()}`, json: { productId: s.productId, quantity: 2, couponVoucherIds: [coupon] } });
    expect(o.body.amountCents, JSON.stringify(o.body)).toBe(2980);
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const keys = (await shop(s.slug, `/orders/${o.body.id}`, { cookie })).body.vouchers as { code: string }[];
    const outcomes = [];
    for (const k of keys) outcomes.push((await shop(s.slug, `/vouchers/${k.code}/report`, { method: "POST", cookie, json: { problem: "invalid_key" } })).body);
    expect(outcomes.map((x: any) => [x.status, x.refundCents])).toEqual([["refunded", 1490], ["refunded", 1490]]);
    expect(await refunded(s.tenant.id)).toBe(2980);
    expect(await rights(s.tenant.id, o.body.id)).toEqual(["refunded:2"]);
    // Everything paid has gone back: the order is refunded, as when console refunds add up to the charge.
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(o.body.id).first<{ status: string }>())!.status).toBe("refunded");
    // Each is a part of the order's refund for the warehouse (LTV subtracts the parts), and the whole says so.
    expect((await recordedOfType(s.tenant.id, "order_partially_refunded")).map((e) => e.payload.amountCents)).toEqual([1490, 1490]);
    expect((await recordedOfType(s.tenant.id, "order_refunded")).map((e) => e.payload.inParts)).toEqual([true]);
  });

  it("after a goodwill refund of ¥15, the complaint refunds the ¥4.90 left and takes the key back", async () => {
    const b = await boughtKey(2);
    const goodwill = await api(`/orders/${b.orderId}/refunds`, { method: "POST", token: b.adminKey, json: { amountCents: 1500, units: 0, reason: "补偿" } });
    expect(goodwill.status, JSON.stringify(goodwill.body)).toBe(201);
    const c = await report(b);
    const r = await api(`/complaints/${c.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "refund" } });
    expect(r.body).toMatchObject({ status: "refunded", refundCents: 490 });
    expect(await refunded(b.tenant.id)).toBe(1990);
    expect(await rights(b.tenant.id, b.orderId)).toEqual(["refunded:1"]);
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(b.orderId).first<{ status: string }>())!.status).toBe("refunded");
    expect((await api(`/orders/${b.orderId}/detail`, { token: b.adminKey })).body.refundableCents).toBe(0);
  });
});
