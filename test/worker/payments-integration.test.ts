import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signBody } from "../../worker/domain/signature";
import { bookSandboxTxn, closeSandboxCharge, getSandboxTxn } from "../../worker/db/sandbox-gateway";
import { getPaymentById } from "../../worker/db/payments";
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
  // The gateway really took the money: its books say so when kaquan asks before crediting.
  await bookSandboxTxn(env.DB, {
    gateway_ref: notice.gatewayTxnId, tenant_id: (await getPaymentById(env.DB, paymentId))!.tenant_id, kind: "payment", merchant_ref: paymentId, payment_id: paymentId,
    amount_cents: notice.amountCents, fee_cents: 0, state: "paid", payer_account: null,
  });
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
    // A body far larger than any notice is refused before it is read whole, signed or not, streamed or not.
    const huge = await callback(notice, { raw: JSON.stringify({ ...notice, pad: "x".repeat(200_000) }) });
    expect([huge.status, huge.body.error.code, typeof huge.body.error.requestId]).toEqual([413, "body_too_large", "string"]);
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode("x".repeat(4096)));
        controller.close();
      },
    });
    const streamed = await exports.default.fetch("http://kaquan.test/api/v1/pay/callback/sandbox", { method: "POST", headers: { "x-sandbox-signature": "t=1,v1=00" }, body: chunks, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
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

  it("a payment for a cancelled order is refunded, never delivered; no key is shown", async () => {
    const { order, notice, slug, cookie } = await openOrder();
    const before = await shop(slug, `/orders/${order.id}`, { cookie });
    expect(before.body.vouchers).toEqual([]);
    await shop(slug, `/orders/${order.id}/cancel`, { method: "POST", cookie });
    const r = await callback(notice);
    expect(r.status).toBe(200);
    expect(r.body.orderStatus).not.toBe("delivered");
    const after = await shop(slug, `/orders/${order.id}`, { cookie });
    expect(after.body.vouchers).toEqual([]);
    const refund = await env.DB.prepare("SELECT status, amount_cents FROM payments WHERE order_id = ? AND kind = 'refund'").bind(order.id).first();
    expect(refund).toEqual({ status: "succeeded", amount_cents: notice.amountCents });
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
    // A part asked of the whole-order refund is refused, not taken as the whole (before: amountCents was ignored).
    const part = await api(`/orders/${order.id}/refund`, { method: "POST", token: adminKey, json: { reason: "part", amountCents: 100 } });
    expect(part.status).toBe(400);
    expect(part.body.error.code).toBe("validation_failed");
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(order.id).first<{ status: string }>())!.status).toBe("delivered");
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

describe("the gateway is the truth (issue 21)", { timeout: 60_000 }, () => {
  it("refuses a well-signed success callback the gateway does not confirm, and changes nothing", async () => {
    const s = await shopWithKeys(1);
    const o = await shop(s.slug, "/orders", { method: "POST", idem: `unconfirmed-${crypto.randomUUID()}`, json: { productId: s.productId } });
    const paymentId = o.body.checkoutUrl.split("/").pop() as string;
    // Signed with the right key, but the buyer never paid: the gateway's books have no such charge.
    const forged = {
      type: "payment.succeeded", gatewayTxnId: `sbx_${crypto.randomUUID().replace(/-/g, "")}`, paymentId, orderId: o.body.id,
      amountCents: o.body.amountCents, currency: "CNY", paidAt: new Date().toISOString(),
    } as const;
    const res = await callback(forged);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("gateway_unconfirmed");
    // The gateway retries the notice; each is refused, and the brand gets one record of it, not one per retry.
    for (let i = 0; i < 3; i++) expect((await callback(forged)).body.error.code).toBe("gateway_unconfirmed");
    expect(await status(o.body.id)).toBe("created");
    expect((await getPaymentById(env.DB, paymentId))!.status).toBe("pending");
    const { recordedOfType } = await import("./helpers");
    const refused = await recordedOfType((await getPaymentById(env.DB, paymentId))!.tenant_id, "payment_callback_refused");
    expect(refused.map((e) => e.payload).filter((p) => p.paymentId === paymentId)).toEqual([{ paymentId, reason: "gateway_unconfirmed", provider: "sandbox" }]);
  });

  it("two refunds at once never exceed the charge; a refund the gateway never heard of is asked again by the cron", async () => {
    const { order, notice } = await openOrder();
    await callback(notice);
    const charge = (await getPaymentById(env.DB, notice.paymentId))!;
    const { refundCharge, pollPendingRefunds } = await import("../../worker/services/refunds");
    const part = Math.ceil(charge.amount_cents * 0.6);
    const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => refundCharge(env, charge, part, "goodwill", `rft_${order.id}_${i}`)));
    expect(outcomes.filter((o) => o === "succeeded")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "refused")).toHaveLength(3);
    // The same id again is the same refund.
    const done = outcomes.findIndex((o) => o === "succeeded");
    expect(await refundCharge(env, charge, part, "goodwill", `rft_${order.id}_${done}`)).toBe("succeeded");
    // A crash between recording the refund and asking the gateway: the row is pending and the gateway knows nothing.
    const rest = charge.amount_cents - part;
    await env.DB.prepare("INSERT INTO payments (id, tenant_id, order_id, provider, kind, amount_cents, currency, reason, refund_of, created_at) VALUES (?, ?, ?, 'sandbox', 'refund', ?, 'CNY', 'crash', ?, ?)")
      .bind(`rft_${order.id}_crash`, charge.tenant_id, order.id, rest, charge.id, new Date(Date.now() - 120_000).toISOString()).run();
    await pollPendingRefunds(env);
    const row = (await getPaymentById(env.DB, `rft_${order.id}_crash`))!;
    expect(row.status).toBe("succeeded");
    expect(row.provider_ref).toMatch(/^sbx_rf_/);
    const sums = await env.DB.prepare("SELECT SUM(amount_cents) AS n FROM payments WHERE order_id = ? AND kind = 'refund' AND status = 'succeeded'").bind(order.id).first<{ n: number }>();
    expect(sums!.n).toBe(charge.amount_cents);
    const { recordedOfType } = await import("./helpers");
    const settled = (await recordedOfType(charge.tenant_id, "refund_settled")).filter((e) => e.payload.orderId === order.id);
    expect(settled.map((e) => e.payload.state)).toEqual(["succeeded", "succeeded"]);
  });

  it("money that arrives for a cancelled order's charge is refunded automatically through the gateway", async () => {
    const s = await shopWithKeys(1);
    const o = await shop(s.slug, "/orders", { method: "POST", idem: `late-${crypto.randomUUID()}`, json: { productId: s.productId } });
    const paymentId = o.body.checkoutUrl.split("/").pop() as string;
    const { sandboxPaidCallback } = await import("../../worker/payments/sandbox");
    const late = await sandboxPaidCallback(env, paymentId); // paid at the gateway…
    await shop(s.slug, `/orders/${o.body.id}/cancel`, { method: "POST", cookie: o.cookie }); // …while the buyer cancels
    const res = await exports.default.fetch("http://kaquan.test/api/v1/pay/callback/sandbox", {
      method: "POST", headers: { "content-type": "application/json", "x-sandbox-signature": late.signature }, body: late.body,
    });
    expect(res.status).toBe(200);
    expect(await status(o.body.id)).not.toBe("delivered");
    const refund = await env.DB.prepare("SELECT * FROM payments WHERE order_id = ? AND kind = 'refund'").bind(o.body.id).first<{ status: string; amount_cents: number }>();
    expect(refund).toMatchObject({ status: "succeeded", amount_cents: o.body.amountCents });
    const { sandboxProvider } = await import("../../worker/payments/sandbox");
    expect((await sandboxProvider(env).queryCharge((await getPaymentById(env.DB, paymentId))!)).state).toBe("refunded");
  });

  it("a charge the sandbox took whose notice a crash cut off is notified again by the cron: delivered once, or refunded after a cancel", async () => {
    const s = await shopWithKeys(2);
    const { sandboxPaidCallback } = await import("../../worker/payments/sandbox");
    const { resendSandboxNotices, RESEND_AFTER_MS } = await import("../../worker/services/sandbox-gateway");
    const open = async () => {
      const o = await shop(s.slug, "/orders", { method: "POST", idem: `cut-${crypto.randomUUID()}`, json: { productId: s.productId } });
      await sandboxPaidCallback(env, o.body.checkoutUrl.split("/").pop() as string); // booked paid; the notice never sent
      return o;
    };
    const kept = await open();
    const cancelled = await open();
    expect((await shop(s.slug, `/orders/${cancelled.body.id}/cancel`, { method: "POST", cookie: cancelled.cookie })).status).toBe(200);
    // Not before the gateway's wait: a notice may still be on its way.
    await resendSandboxNotices(env, Date.now());
    expect(await status(kept.body.id)).toBe("created");
    const later = Date.now() + RESEND_AFTER_MS + 1000;
    expect(await resendSandboxNotices(env, later)).toBeGreaterThanOrEqual(2);
    expect(await status(kept.body.id)).toBe("delivered");
    // The buyer's views say how and where the key can be used (the product's tutorial and 适用范围).
    const view = await shop(s.slug, `/orders/${kept.body.id}`, { cookie: kept.cookie });
    expect(view.body.vouchers).toMatchObject([{ scope: "视频平台会员", tutorial: "打开 App → 我的 → 兑换", secret: expect.any(String) }]);
    expect((await shop(s.slug, "/vouchers", { cookie: kept.cookie })).body.vouchers).toMatchObject([{ scope: "视频平台会员" }]);
    expect(await status(cancelled.body.id)).not.toBe("delivered");
    const refund = await env.DB.prepare("SELECT status, amount_cents FROM payments WHERE order_id = ? AND kind = 'refund'").bind(cancelled.body.id).first();
    expect(refund).toMatchObject({ status: "succeeded", amount_cents: cancelled.body.amountCents });
    // Acknowledged now: the next run sends theirs no more, and nothing is delivered or refunded twice.
    await resendSandboxNotices(env, later + 60_000);
    const counts = await env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM vouchers WHERE order_id = ?) AS keys, (SELECT COUNT(*) FROM payments WHERE order_id = ? AND kind = 'refund') AS refunds`,
    ).bind(kept.body.id, cancelled.body.id).first();
    expect(counts).toEqual({ keys: 1, refunds: 1 });
  });

  it("the cashier lists the tenant's methods; an unknown method is 404; a paid charge is not payable", async () => {
    const { order, notice } = await openOrder();
    const start = (provider: string) => exports.default.fetch(`http://kaquan.test/api/v1/pay/checkout/${notice.paymentId}/start`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }),
    });
    expect((await start("wechatpay")).status).toBe(404); // not connected by this tenant
    const sbx = await start("sandbox");
    expect(sbx.status).toBe(200);
    expect(((await sbx.json()) as { redirectUrl: string }).redirectUrl).toContain(`/pay/sandbox/checkout/${notice.paymentId}`);
    await callback(notice);
    expect((await start("sandbox")).status).toBe(409);
    expect(await status(order.id)).toBe("delivered");
  });

  it("the sandbox books a charge once, with its fee, takes it over from another method, and refuses a settled, closed or unknown one", async () => {
    const s = await shopWithKeys(3);
    const open = async () => {
      const o = await shop(s.slug, "/orders", { method: "POST", idem: `sbx-${crypto.randomUUID()}`, json: { productId: s.productId } });
      return { order: o.body, paymentId: o.body.checkoutUrl.split("/").pop() as string };
    };
    const pay = async (paymentId: string) => {
      const res = await exports.default.fetch(`http://kaquan.test/api/v1/pay/sandbox/checkout/${paymentId}/pay`, { method: "POST" });
      return { status: res.status, body: (await res.json()) as any };
    };
    // Opened at another gateway by the cashier, paid at the sandbox after all: the charge moves, is booked and delivered.
    const a = await open();
    await env.DB.prepare("UPDATE payments SET provider = 'wechatpay' WHERE id = ?").bind(a.paymentId).run();
    const paid = await pay(a.paymentId);
    expect(paid).toMatchObject({ status: 200, body: { applied: true, orderStatus: "delivered", orderId: a.order.id } });
    expect((await getPaymentById(env.DB, a.paymentId))!).toMatchObject({ provider: "sandbox", status: "succeeded" });
    const txn = (await getSandboxTxn(env.DB, "payment", a.paymentId))!;
    expect(txn).toMatchObject({ amount_cents: a.order.amountCents, fee_cents: Math.floor((a.order.amountCents * 6 + 500) / 1000), state: "paid" });
    // A second click: refused, still one booking.
    expect(await pay(a.paymentId)).toMatchObject({ status: 409, body: { error: { code: "already_paid" } } });
    const bookings = await env.DB.prepare("SELECT COUNT(*) AS n FROM sandbox_gateway_txns WHERE merchant_ref = ?").bind(a.paymentId).first<{ n: number }>();
    expect(bookings!.n).toBe(1);
    // A charge the gateway closed (its order expired) cannot be paid: nothing booked, the order unpaid.
    const b = await open();
    await closeSandboxCharge(env.DB, s.tenant.id, b.paymentId, `sbx_close_${b.paymentId}`, b.order.amountCents);
    expect(await pay(b.paymentId)).toMatchObject({ status: 409, body: { error: { code: "charge_closed" } } });
    expect((await getSandboxTxn(env.DB, "payment", b.paymentId))!.state).toBe("closed");
    expect(await status(b.order.id)).toBe("created");
    expect((await pay("pay_unknown")).status).toBe(404);
  });
});
