import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { getPaymentById } from "../../worker/db/payments";
import { cancelOrder } from "../../worker/services/orders";
import { providerFor } from "../../worker/payments/provider-registry";
import { chinaTimestamp } from "../../worker/payments/alipay/amount";
import { generateRsa2KeyPair, importPrivateKey, rsa2Sign, signingString } from "../../worker/payments/alipay/sign";
import { shop, shopWithKeys } from "./commerce-helpers";
import { api } from "./helpers";

const ORIGIN = "http://kaquan.test";
const sandbox = () => inject("alipayUrl");
const status = (id: string) => env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(id).first<{ status: string }>().then((r) => r!.status);
const chargeStatus = (id: string) => env.DB.prepare("SELECT status FROM payments WHERE id = ?").bind(id).first<{ status: string }>().then((r) => r!.status);

/** A shop whose tenant connected the sandbox's test app (GET /sandbox/merchant → PUT /payment-accounts). */
async function alipayShop(keys = 3) {
  const s = await shopWithKeys(keys);
  const merchant = await (await fetch(`${sandbox()}/sandbox/merchant`)).json();
  const put = await api("/payment-accounts", { method: "PUT", token: s.adminKey, json: { provider: "alipay", config: merchant } });
  expect(put.status).toBe(200);
  return { ...s, merchant: merchant as { appId: string; sellerId: string } };
}

/** Order → cashier → 支付宝: the browser goes to the sandbox's wap.pay page, which opens the trade (WAIT_BUYER_PAY). */
async function orderAtAlipay(s: { slug: string; productId: string }) {
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `ali-${crypto.randomUUID()}`, json: { productId: s.productId } });
  const paymentId = o.body.checkoutUrl.split("/").pop() as string;
  const cashier = await (await exports.default.fetch(`${ORIGIN}/api/v1/pay/checkout/${paymentId}`)).text();
  expect(cashier).toContain("支付宝");
  const start = await exports.default.fetch(`${ORIGIN}/api/v1/pay/checkout/${paymentId}/start`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider: "alipay" }),
  });
  expect(start.status).toBe(200);
  const { redirectUrl } = (await start.json()) as { redirectUrl: string };
  expect(redirectUrl.startsWith(`${sandbox()}/gateway.do?`)).toBe(true);
  const page = await fetch(redirectUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("确认付款");
  return { order: o.body, cookie: o.cookie as string, paymentId, redirectUrl };
}

/** 确认付款 at the sandbox; its signed notify comes back instead of being posted (workerd is not reachable from Node). */
async function payAtSandbox(paymentId: string) {
  const res = await fetch(`${sandbox()}/sandbox/wap/confirm?notify=return`, { method: "POST", body: new URLSearchParams({ out_trade_no: paymentId }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { notify: { url: string; body: string }; returnUrl: string };
}

async function postNotify(url: string, body: string) {
  const res = await exports.default.fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body });
  return { status: res.status, text: await res.text() };
}

/** A notify signed with the sandbox's real Alipay key but saying whatever the test wants (a gateway that lies). */
async function signedBySandbox(body: string, changes: Record<string, string>) {
  const params = { ...Object.fromEntries(new URLSearchParams(body)), ...changes };
  delete (params as Record<string, string>).sign;
  return (await fetch(`${sandbox()}/sandbox/sign-notify`, { method: "POST", body: JSON.stringify(params) })).text();
}

async function alipayOf(tenantId: string) {
  return (await providerFor(env, "alipay", tenantId, ORIGIN))!;
}

describe("alipay: pay at the sandbox, notify to the worker", { timeout: 90_000 }, () => {
  it("order → cashier → 支付宝 → 确认付款 → notify → delivered; a repeat is applied once", async () => {
    const s = await alipayShop();
    const { order, cookie, paymentId, redirectUrl } = await orderAtAlipay(s);
    const q = new URL(redirectUrl).searchParams;
    expect(q.get("method")).toBe("alipay.trade.wap.pay");
    expect(q.get("sign_type")).toBe("RSA2");
    expect(JSON.parse(q.get("biz_content")!)).toMatchObject({ out_trade_no: paymentId, total_amount: "19.90", product_code: "QUICK_WAP_WAY" });
    expect(q.get("notify_url")).toMatch(new RegExp(`/api/v1/pay/callback/alipay/[^/]+$`));
    const paid = await payAtSandbox(paymentId);
    expect(paid.returnUrl).toContain("method=alipay.trade.wap.pay.return");
    const first = await postNotify(paid.notify.url, paid.notify.body);
    expect(first).toEqual({ status: 200, text: "success" });
    expect(await status(order.id)).toBe("delivered");
    const view = await shop(s.slug, `/orders/${order.id}`, { cookie });
    expect(view.body.vouchers).toHaveLength(1);
    expect(view.body.vouchers[0].secret).toMatch(/^KEY-/);
    const repeats = await Promise.all([1, 2, 3].map(() => postNotify(paid.notify.url, paid.notify.body)));
    expect(repeats.every((r) => r.text === "success")).toBe(true);
    expect((await shop(s.slug, `/orders/${order.id}`, { cookie })).body.vouchers).toHaveLength(1);
    const paidEvents = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_outbox WHERE tenant_id = ? AND body LIKE '%\"order_paid\"%'").bind(s.tenant.id).first<{ n: number }>();
    expect(paidEvents!.n).toBe(1);
  });

  it("refuses a forged, another app's, tampered, amount-mismatched or unpaid notify — nothing changes", async () => {
    const s = await alipayShop();
    const unpaid = await orderAtAlipay(s);
    // The trade is open but unpaid: a notify (signed by the gateway key, lying) is refused after alipay.trade.query.
    const base = new URLSearchParams({
      notify_time: chinaTimestamp(Date.now()), notify_type: "trade_status_sync", notify_id: "n1", app_id: s.merchant.appId, charset: "utf-8",
      version: "1.0", sign_type: "RSA2", trade_no: "2026113022001400000001", out_trade_no: unpaid.paymentId, trade_status: "TRADE_SUCCESS",
      total_amount: "19.90", passback_params: unpaid.order.id, buyer_id: "2088102122524333", seller_id: s.merchant.sellerId,
    }).toString();
    const notifyUrl = new URL(unpaid.redirectUrl).searchParams.get("notify_url")!;
    const early = await postNotify(notifyUrl, await signedBySandbox(base, {}));
    expect(early.status).toBe(409);
    expect(JSON.parse(early.text).error.code).toBe("gateway_unconfirmed");
    expect(await status(unpaid.order.id)).toBe("created");

    const { order, paymentId } = await orderAtAlipay(s);
    const paid = await payAtSandbox(paymentId);
    const url = paid.notify.url;
    // Signed with a key that is not Alipay's.
    const other = await generateRsa2KeyPair();
    const fields = Object.fromEntries(new URLSearchParams(paid.notify.body));
    const forgedSign = await rsa2Sign(await importPrivateKey(other.privateKeyPem), signingString(fields, ["sign", "sign_type"]));
    const forged = await postNotify(url, new URLSearchParams({ ...fields, sign: forgedSign }).toString());
    expect([forged.status, JSON.parse(forged.text).error.code]).toEqual([401, "signature_invalid"]);
    // A field changed after Alipay signed.
    const tampered = await postNotify(url, new URLSearchParams({ ...fields, total_amount: "0.01" }).toString());
    expect([tampered.status, JSON.parse(tampered.text).error.code]).toEqual([401, "signature_invalid"]);
    // Validly signed, but for another app.
    const otherApp = await postNotify(url, await signedBySandbox(paid.notify.body, { app_id: "2021009999999999" }));
    expect([otherApp.status, JSON.parse(otherApp.text).error.code]).toEqual([401, "signature_wrong_app"]);
    // Validly signed, another amount than the charge's (refused on our own record before the gateway is asked).
    const amount = await postNotify(url, await signedBySandbox(paid.notify.body, { total_amount: "0.01" }));
    expect([amount.status, JSON.parse(amount.text).error.code]).toEqual([400, "amount_mismatch"]);
    // A day-old replay window is allowed; two days is not.
    const stale = await postNotify(url, await signedBySandbox(paid.notify.body, { notify_time: chinaTimestamp(Date.now() - 48 * 3_600_000) }));
    expect([stale.status, JSON.parse(stale.text).error.code]).toEqual([401, "signature_expired"]);
    expect(await status(order.id)).toBe("created");
    expect(await chargeStatus(paymentId)).toBe("pending");
    // The genuine notify still goes through afterwards.
    expect((await postNotify(url, paid.notify.body)).text).toBe("success");
    expect(await status(order.id)).toBe("delivered");
  });

  it("an app key or Alipay key WebCrypto cannot import is refused at save, naming the field", async () => {
    const s = await alipayShop(1);
    const merchant = (await (await fetch(`${sandbox()}/sandbox/merchant`)).json()) as Record<string, unknown>;
    const junk = `-----BEGIN RSA PRIVATE KEY-----\n${"QUJD".repeat(20)}\n-----END RSA PRIVATE KEY-----`;
    const bad = await api("/payment-accounts", { method: "PUT", token: s.adminKey, json: { provider: "alipay", config: { ...merchant, appPrivateKeyPem: junk } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_key", issues: [expect.objectContaining({ path: "json.config.appPrivateKeyPem" })] });
    expect(bad.body.error.issues).toHaveLength(1);
  });

  it("money for a cancelled order whose keys went to another buyer is refunded at Alipay automatically", async () => {
    const s = await alipayShop(1);
    const late = await orderAtAlipay(s);
    const paid = await payAtSandbox(late.paymentId);
    // Cancelled as when Alipay could not be asked: the buyer's own cancel asks it first, and delivers a paid order.
    const buyer = (await env.DB.prepare("SELECT buyer_id FROM orders WHERE id = ?").bind(late.order.id).first<{ buyer_id: string }>())!.buyer_id;
    expect((await cancelOrder(env, s.tenant.id, late.order.id, buyer)).status).toBe("cancelled");
    const winner = await orderAtAlipay(s);
    const won = await payAtSandbox(winner.paymentId);
    expect((await postNotify(won.notify.url, won.notify.body)).text).toBe("success");
    expect(await status(winner.order.id)).toBe("delivered");
    expect((await postNotify(paid.notify.url, paid.notify.body)).text).toBe("success");
    expect(await status(late.order.id)).toBe("cancelled"); // not delivered; the money goes straight back
    const alipay = await alipayOf(s.tenant.id);
    const charge = (await getPaymentById(env.DB, late.paymentId))!;
    expect(await alipay.queryCharge(charge)).toMatchObject({ state: "refunded", amountCents: 1990 });
  });

  it("back at the cashier a while later, paid at Alipay (its notice lost): 支付宝 again is refused and the order delivered", async () => {
    const s = await alipayShop(1);
    const o = await orderAtAlipay(s);
    await payAtSandbox(o.paymentId);
    await env.DB.prepare("UPDATE orders SET created_at = ? WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), o.order.id).run();
    const again = await exports.default.fetch(`${ORIGIN}/api/v1/pay/checkout/${o.paymentId}/start`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider: "alipay" }),
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.code).toBe("order_paid");
    expect(await status(o.order.id)).toBe("delivered");
  });

  it("a buyer cancelling an order Alipay was paid for (its notice not yet here) gets it delivered, not cancelled", async () => {
    const s = await alipayShop(1);
    const o = await orderAtAlipay(s);
    const paid = await payAtSandbox(o.paymentId);
    const cancel = await shop(s.slug, `/orders/${o.order.id}/cancel`, { method: "POST", cookie: o.cookie });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe("order_paid");
    expect(await status(o.order.id)).toBe("delivered");
    expect((await postNotify(paid.notify.url, paid.notify.body)).text).toBe("success");
    expect(await status(o.order.id)).toBe("delivered");
    const alipay = await alipayOf(s.tenant.id);
    expect(await alipay.queryCharge((await getPaymentById(env.DB, o.paymentId))!)).toMatchObject({ state: "paid", amountCents: 1990 });
  });
});

describe("alipay: refunds and the bill through the adapter", { timeout: 90_000 }, () => {
  it("partial and full refunds, idempotent on our refund id, never above the charge; the bill lists them", async () => {
    const s = await alipayShop();
    const { paymentId } = await orderAtAlipay(s);
    const alipay = await alipayOf(s.tenant.id);
    const charge = (await getPaymentById(env.DB, paymentId))!;
    expect(await alipay.queryCharge(charge)).toMatchObject({ state: "unpaid" });
    expect(await alipay.refund(charge, 100, `rf_${paymentId}_0`, "too early")).toEqual({ ok: false, reason: "ACQ.TRADE_STATUS_ERROR" });
    const paid = await payAtSandbox(paymentId);
    expect((await postNotify(paid.notify.url, paid.notify.body)).text).toBe("success");
    const tradeNo = new URLSearchParams(paid.notify.body).get("trade_no")!;
    expect(await alipay.queryCharge(charge)).toEqual({ state: "paid", amountCents: 1990, gatewayTxnId: tradeNo, payerAccount: expect.stringMatching(/^2088/) });

    const r1 = await alipay.refund(charge, 500, `rf_${paymentId}_1`, "partial");
    expect(r1).toEqual({ ok: true, refundRef: `${tradeNo}:rf_${paymentId}_1`, state: "succeeded" });
    expect(await alipay.refund(charge, 500, `rf_${paymentId}_1`, "partial")).toEqual(r1); // the same refund, not a second
    expect(await alipay.refund(charge, 1491, `rf_${paymentId}_2`, "too much")).toEqual({ ok: false, reason: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" });
    expect(await alipay.queryRefund(charge, `rf_${paymentId}_1`)).toEqual({ state: "succeeded", refundRef: `${tradeNo}:rf_${paymentId}_1` });
    expect(await alipay.queryRefund(charge, `rf_${paymentId}_9`)).toEqual({ state: "not_found" });
    expect((await alipay.refund(charge, 1490, `rf_${paymentId}_3`, "the rest")).ok).toBe(true);
    expect(await alipay.queryCharge(charge)).toMatchObject({ state: "refunded" });

    const lines = alipay.parseStatement(await alipay.downloadStatement(chinaTimestamp(Date.now()).slice(0, 10)));
    const ours = lines.filter((l) => l.gatewayRef.startsWith(tradeNo));
    expect(ours.map(({ kind, merchantRef, amountCents, feeCents }) => ({ kind, merchantRef, amountCents, feeCents }))).toEqual([
      { kind: "payment", merchantRef: paymentId, amountCents: 1990, feeCents: 12 },
      { kind: "refund", merchantRef: `rf_${paymentId}_1`, amountCents: 500, feeCents: 3 },
      { kind: "refund", merchantRef: `rf_${paymentId}_3`, amountCents: 1490, feeCents: 9 },
    ]);
  });

  it("an operator refund goes to Alipay under our refund id; Alipay's refund notify is acknowledged", async () => {
    const s = await alipayShop();
    const { order, paymentId } = await orderAtAlipay(s);
    const paid = await payAtSandbox(paymentId);
    expect((await postNotify(paid.notify.url, paid.notify.body)).text).toBe("success");
    const res = await api(`/orders/${order.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "buyer complaint" } });
    expect(res.status).toBe(200);
    expect(await status(order.id)).toBe("refunded");
    const refund = await env.DB.prepare("SELECT id, status, amount_cents FROM payments WHERE refund_of = ?").bind(paymentId).first<{ id: string; status: string; amount_cents: number }>();
    expect(refund).toMatchObject({ status: "succeeded", amount_cents: 1990 });
    const notes = (await (await fetch(`${sandbox()}/sandbox/outbox/${paymentId}`)).json()) as { url: string; body: string }[];
    const refundNote = notes.find((n) => new URLSearchParams(n.body).get("out_biz_no") === refund!.id)!;
    expect(new URLSearchParams(refundNote.body).get("refund_fee")).toBe("19.90");
    expect(await postNotify(refundNote.url, refundNote.body)).toEqual({ status: 200, text: "success" });
    expect(await alipay(s.tenant.id)).toMatchObject({ state: "refunded" });
  });
});

async function alipay(tenantId: string) {
  const charge = (await env.DB.prepare("SELECT * FROM payments WHERE tenant_id = ? AND kind = 'charge' AND provider = 'alipay'").bind(tenantId).first())!;
  return (await alipayOf(tenantId)).queryCharge(charge as never);
}
