import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signBody } from "../../worker/domain/signature";
import { shop, shopWithKeys } from "./commerce-helpers";

const SECRET = "test-payment-sandbox-secret";

async function callback(body: Record<string, unknown>, opts: { secret?: string; t?: number; raw?: string } = {}) {
  const raw = opts.raw ?? JSON.stringify(body);
  const sig = await signBody(opts.secret ?? SECRET, raw, opts.t);
  const res = await exports.default.fetch("http://kaquan.test/api/v1/pay/callback/sandbox", {
    method: "POST", headers: { "content-type": "application/json", "x-sandbox-signature": sig }, body: raw,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function openOrder() {
  const s = await shopWithKeys(2);
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `pay-${crypto.randomUUID()}`, json: { productId: s.productId } });
  const paymentId = o.body.checkoutUrl.split("/").pop() as string;
  const notice = {
    type: "payment.succeeded", gatewayTxnId: `sbx_${crypto.randomUUID().replace(/-/g, "")}`, paymentId, orderId: o.body.id,
    amountCents: o.body.amountCents, currency: "CNY", paidAt: new Date().toISOString(),
  };
  return { ...s, order: o.body, cookie: o.cookie, notice };
}

const status = (id: string) => env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(id).first<{ status: string }>().then((r) => r!.status);

describe("payment callbacks", { timeout: 60_000 }, () => {
  it("refuses forged signature, stale timestamp, other order, other amount — and changes nothing", async () => {
    const { order, notice } = await openOrder();
    expect((await callback(notice, { secret: "not-the-secret" })).status).toBe(401);
    const stale = await callback(notice, { t: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe("signature_expired");
    const other = await openOrder();
    const wrongOrder = await callback({ ...notice, orderId: other.order.id });
    expect(wrongOrder.body.error.code).toBe("order_mismatch");
    const wrongAmount = await callback({ ...notice, amountCents: notice.amountCents - 1 });
    expect(wrongAmount.status).toBe(400);
    expect(wrongAmount.body.error.code).toBe("amount_mismatch");
    // a body changed after signing
    const sig = await signBody(SECRET, JSON.stringify(notice));
    const tampered = await exports.default.fetch("http://kaquan.test/api/v1/pay/callback/sandbox", {
      method: "POST", headers: { "x-sandbox-signature": sig }, body: JSON.stringify({ ...notice, amountCents: 1 }),
    });
    expect(tampered.status).toBe(401);
    expect((await callback({ ...notice, paymentId: "pay_unknown" })).status).toBe(404);
    expect((await callback({}, { raw: "not json" })).status).toBe(400);
    expect(await status(order.id)).toBe("created");
  });

  it("applies once; a repeat is acknowledged and changes nothing; a second transaction is refused", async () => {
    const { order, notice, slug, cookie } = await openOrder();
    const first = await callback(notice);
    expect(first.body).toEqual({ received: true, applied: true, orderStatus: "delivered" });
    const repeats = await Promise.all(Array.from({ length: 5 }, () => callback(notice)));
    expect(repeats.every((r) => r.status === 200 && r.body.applied === false)).toBe(true);
    expect((await callback({ ...notice, gatewayTxnId: "sbx_another_txn_1" })).status).toBe(409);
    const view = await shop(slug, `/orders/${order.id}`, { cookie });
    expect(view.body.vouchers).toHaveLength(1);
    expect(view.body.vouchers[0].secret).toMatch(/^KEY-/);
  });

  it("a cancelled order taken to 'paid' is re-reserved and delivered; key shown only after payment", async () => {
    const { order, notice, slug, cookie } = await openOrder();
    const before = await shop(slug, `/orders/${order.id}`, { cookie });
    expect(before.body.vouchers).toEqual([]);
    await shop(slug, `/orders/${order.id}/cancel`, { method: "POST", cookie });
    const r = await callback(notice);
    expect(r.body.orderStatus).toBe("delivered");
  });

  it("the hosted checkout page renders and its pay button path works", async () => {
    const { order } = await openOrder();
    const page = await exports.default.fetch(`http://kaquan.test${order.checkoutUrl}`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("确认支付");
  });
});

describe("operator refunds", { timeout: 60_000 }, () => {
  it("refuses to refund an order whose right was redeemed, and leaves the order and its vouchers as they were", async () => {
    const { order, notice, adminKey } = await openOrder();
    await callback(notice);
    await env.DB.prepare("UPDATE vouchers SET status = 'redeemed' WHERE order_id = ?").bind(order.id).run();
    const { api } = await import("./helpers");
    const res = await api(`/orders/${order.id}/refund`, { method: "POST", token: adminKey, json: { reason: "too late" } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("voucher_redeemed");
    const row = await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(order.id).first<{ status: string }>();
    expect(row!.status).toBe("delivered");
    const refunds = await env.DB.prepare("SELECT COUNT(*) AS n FROM payments WHERE order_id = ? AND kind = 'refund'").bind(order.id).first<{ n: number }>();
    expect(refunds!.n).toBe(0);
  });

  it("refunds a delivered order once; its voucher turns 'refunded' and its key is no longer shown", async () => {
    const { order, notice, slug, cookie, adminKey } = await openOrder();
    await callback(notice);
    const { api } = await import("./helpers");
    const [a, b] = await Promise.all([
      api(`/orders/${order.id}/refund`, { method: "POST", token: adminKey, json: { reason: "buyer complaint" } }),
      api(`/orders/${order.id}/refund`, { method: "POST", token: adminKey, json: { reason: "buyer complaint" } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const view = await shop(slug, `/orders/${order.id}`, { cookie });
    expect(view.body.order.status).toBe("refunded");
    expect(view.body.vouchers[0].status).toBe("refunded");
    expect(view.body.vouchers[0].secret).toBeUndefined();
    const refunds = await env.DB.prepare("SELECT COUNT(*) AS n FROM payments WHERE order_id = ? AND kind = 'refund'").bind(order.id).first<{ n: number }>();
    expect(refunds!.n).toBe(1);
    expect((await api(`/orders/${order.id}`, { token: adminKey })).body.vouchers[0].secret).toBeUndefined();
  });
});
