import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { WechatPayAccount } from "../../schema/payments";
import { getPaymentAccount, upsertPaymentAccount } from "../../worker/db/payment-accounts";
import { getPaymentById } from "../../worker/db/payments";
import { sealSecret } from "../../worker/domain/secret-box";
import { providerFor } from "../../worker/payments/provider-registry";
import { decryptResource, encryptResource, type EncryptedResource } from "../../worker/payments/wechatpay/crypto";
import { cancelOrder } from "../../worker/services/orders";
import { pollPendingRefunds, refundCharge } from "../../worker/services/refunds";
import { shop, shopWithKeys } from "./commerce-helpers";
import { api, recordedOfType } from "./helpers";

const WX = inject("wechatpayUrl");
type Held = { url: string; headers: Record<string, string>; body: string };

/** A shop whose brand connected its own (sandbox) WeChat Pay merchant; the sandbox holds notifications for the test. */
async function wechatShop(keys = 2) {
  const s = await shopWithKeys(keys);
  const merchant = (await (await fetch(`${WX}/sandbox/merchants`, { method: "POST", body: JSON.stringify({ deliver: "hold", refundDelayMs: null }) })).json()) as WechatPayAccount;
  const saved = await api("/payment-accounts", { method: "PUT", token: s.adminKey, json: { provider: "wechatpay", config: merchant } });
  expect(saved.status).toBe(200);
  return { ...s, merchant };
}

async function order(s: { slug: string; productId: string }) {
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `wx-${crypto.randomUUID()}`, json: { productId: s.productId } });
  expect(o.status).toBe(201);
  const paymentId = o.body.checkoutUrl.split("/").pop() as string;
  const cashier = await exports.default.fetch(`http://kaquan.test/api/v1/pay/checkout/${paymentId}`);
  expect(await cashier.text()).toContain("微信支付");
  const start = await exports.default.fetch(`http://kaquan.test/api/v1/pay/checkout/${paymentId}/start`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider: "wechatpay" }),
  });
  expect(start.status).toBe(200);
  const { redirectUrl } = (await start.json()) as { redirectUrl: string };
  return { id: o.body.id as string, cookie: o.cookie, paymentId, redirectUrl, amountCents: o.body.amountCents as number };
}

/** The buyer presses 确认支付 on the sandbox's H5 page; it sends the browser back to our order page. */
async function buyerPays(redirectUrl: string) {
  const url = new URL(redirectUrl);
  const res = await fetch(`${WX}/h5/pay`, { method: "POST", body: new URLSearchParams({ prepay_id: url.searchParams.get("prepay_id")!, redirect_url: url.searchParams.get("redirect_url")! }), redirect: "manual" });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toContain("/shop/order/");
}

async function held(mchId: string): Promise<Held[]> {
  return ((await (await fetch(`${WX}/sandbox/merchants/${mchId}/notifications`)).json()) as { notifications: Held[] }).notifications;
}
const deliver = (n: Held) => exports.default.fetch(n.url, { method: "POST", headers: n.headers, body: n.body });
async function signed(body: string, timestamp?: number): Promise<Held> {
  const { headers } = (await (await fetch(`${WX}/sandbox/sign`, { method: "POST", body: JSON.stringify({ body, timestamp }) })).json()) as { headers: Record<string, string> };
  return { url: "", headers, body };
}
/** A notification with another resource, properly encrypted and signed by the platform (what only a bug or a breach would send). */
async function withResource(n: Held, apiV3Key: string, edit: (r: Record<string, any>) => Record<string, any>) {
  const event = JSON.parse(n.body) as { resource: EncryptedResource };
  const plain = JSON.parse(await decryptResource(apiV3Key, event.resource));
  event.resource = await encryptResource(apiV3Key, JSON.stringify(edit(plain)), "transaction", "transaction");
  return { ...(await signed(JSON.stringify(event))), url: n.url };
}
const orderStatus = (id: string) => env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(id).first<{ status: string }>().then((r) => r!.status);

describe("WeChat Pay v3 through the sandbox", { timeout: 90_000 }, () => {
  it("pays, refuses forged / replayed / tampered / wrong-amount / unpaid notices with nothing changed, applies a duplicate once", async () => {
    const s = await wechatShop();
    const o = await order(s);
    expect(o.redirectUrl).toMatch(new RegExp(`^${WX}/h5/checkmweb\\?prepay_id=wx`));
    await buyerPays(o.redirectUrl);
    const [n] = await held(s.merchant.mchId);
    expect(JSON.parse(n!.body).event_type).toBe("TRANSACTION.SUCCESS");
    expect(n!.url).toMatch(/\/api\/v1\/pay\/callback\/wechatpay\//);

    const forged = await deliver({ ...n!, headers: { ...n!.headers, "Wechatpay-Signature": (await signed("{}")).headers["Wechatpay-Signature"]! } });
    expect(forged.status).toBe(401);
    const replayed = await deliver({ ...(await signed(n!.body, Math.floor(Date.now() / 1000) - 400)), url: n!.url });
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as any).error.code).toBe("signature_expired");
    const event = JSON.parse(n!.body);
    const c = event.resource.ciphertext as string;
    event.resource.ciphertext = `${c.slice(0, 10)}${c[10] === "A" ? "B" : "A"}${c.slice(11)}`;
    const tampered = await deliver({ ...(await signed(JSON.stringify(event))), url: n!.url });
    expect(tampered.status).toBe(400);
    expect(((await tampered.json()) as any).error.code).toBe("decrypt_failed");
    const cheaper = await deliver(await withResource(n!, s.merchant.apiV3Key, (r) => ({ ...r, amount: { ...r.amount, total: r.amount.total - 1, payer_total: r.amount.total - 1 } })));
    expect(cheaper.status).toBeGreaterThanOrEqual(400);
    expect(await orderStatus(o.id)).toBe("created");
    expect((await getPaymentById(env.DB, o.paymentId))!.status).toBe("pending");

    // Another order, opened at WeChat but never paid: a well-formed success notice for it is not believed.
    const unpaid = await order(s);
    const fake = await deliver(await withResource(n!, s.merchant.apiV3Key, (r) => ({ ...r, out_trade_no: unpaid.paymentId, attach: unpaid.id, amount: { ...r.amount, total: unpaid.amountCents } })));
    expect(fake.status).toBe(409);
    expect(await orderStatus(unpaid.id)).toBe("created");

    const ok = await deliver(n!);
    expect(ok.status).toBe(204);
    expect(await ok.text()).toBe("");
    expect(await orderStatus(o.id)).toBe("delivered");
    expect((await deliver(n!)).status).toBe(204);
    expect((await recordedOfType(s.tenant.id, "order_paid")).filter((e) => (e.payload as { orderId: string }).orderId === o.id)).toHaveLength(1);
    const charge = (await getPaymentById(env.DB, o.paymentId))!;
    expect(charge).toMatchObject({ status: "succeeded", provider: "wechatpay" });
    expect(charge.provider_ref).toBe(JSON.parse(await decryptResource(s.merchant.apiV3Key, JSON.parse(n!.body).resource)).transaction_id);

    // Refunds: PROCESSING at WeChat, completed by the REFUND.SUCCESS notice, and (another) by the cron's query.
    expect(await refundCharge(env, charge, 500, "goodwill", `rf_wx_${crypto.randomUUID()}`)).toBe("processing");
    const [first] = (await env.DB.prepare("SELECT id FROM payments WHERE refund_of = ? AND status = 'pending'").bind(charge.id).all<{ id: string }>()).results;
    await fetch(`${WX}/sandbox/merchants/${s.merchant.mchId}/refunds/${first!.id}/settle`, { method: "POST" });
    const [refundNotice] = await held(s.merchant.mchId);
    expect(JSON.parse(refundNotice!.body).event_type).toBe("REFUND.SUCCESS");
    expect((await deliver(refundNotice!)).status).toBe(204);
    expect((await getPaymentById(env.DB, first!.id))!.status).toBe("succeeded");

    const secondId = `rf_wx_${crypto.randomUUID()}`;
    expect(await refundCharge(env, charge, 300, "goodwill", secondId)).toBe("processing");
    await fetch(`${WX}/sandbox/merchants/${s.merchant.mchId}/refunds/${secondId}/settle`, { method: "POST" });
    await held(s.merchant.mchId); // the notice is lost; the cron asks
    await env.DB.prepare("UPDATE payments SET created_at = ? WHERE id = ?").bind(new Date(Date.now() - 120_000).toISOString(), secondId).run();
    await pollPendingRefunds(env, 500);
    expect((await getPaymentById(env.DB, secondId))!.status).toBe("succeeded");

    // The day's trade bill, downloaded (signed, SHA1-checked) and parsed.
    const wx = (await providerFor(env, "wechatpay", s.tenant.id))!;
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const lines = wx.parseStatement(await wx.downloadStatement(day));
    expect(lines.map((l) => [l.kind, l.merchantRef, l.amountCents])).toEqual([["payment", o.paymentId, o.amountCents], ["refund", first!.id, 500], ["refund", secondId, 300]]);
    expect(lines[0]!.gatewayRef).toBe(charge.provider_ref);
  });

  it("a payment that arrives for a cancelled order whose key went to another buyer is refunded at WeChat", async () => {
    const s = await wechatShop(1);
    const a = await order(s);
    await buyerPays(a.redirectUrl);
    const [n] = await held(s.merchant.mchId);
    // Cancelled as when WeChat could not be asked (the buyer's cancel asks it first: see the test below).
    const buyer = (await env.DB.prepare("SELECT buyer_id FROM orders WHERE id = ?").bind(a.id).first<{ buyer_id: string }>())!.buyer_id;
    expect((await cancelOrder(env, s.tenant.id, a.id, buyer)).status).toBe("cancelled");
    await order(s); // takes the only key
    expect((await deliver(n!)).status).toBe(204);
    const refund = await env.DB.prepare("SELECT * FROM payments WHERE refund_of = ?").bind(a.paymentId).first<{ id: string; amount_cents: number; provider: string }>();
    expect(refund).toMatchObject({ amount_cents: a.amountCents, provider: "wechatpay" });
    const wx = (await providerFor(env, "wechatpay", s.tenant.id))!;
    expect((await wx.queryRefund((await getPaymentById(env.DB, a.paymentId))!, refund!.id)).state).toBe("processing");
  });

  it("a charge paid at WeChat Pay does not move to another gateway, and money taken after it moved is given back there", async () => {
    const s = await wechatShop(2);
    const start = (paymentId: string, provider: string) => exports.default.fetch(`http://kaquan.test/api/v1/pay/checkout/${paymentId}/start`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }),
    });
    // Paid at WeChat, its notice still on the way: the cashier asks WeChat before moving the charge, and refuses.
    const a = await order(s);
    await buyerPays(a.redirectUrl);
    const moved = await start(a.paymentId, "sandbox");
    expect(moved.status).toBe(409);
    expect(((await moved.json()) as any).error.code).toBe("paid_elsewhere");
    expect((await getPaymentById(env.DB, a.paymentId))!.provider).toBe("wechatpay");
    // What WeChat said is credited at once, not when the order would have expired; the late notice changes nothing.
    expect(await orderStatus(a.id)).toBe("delivered");
    const [n] = await held(s.merchant.mchId);
    expect((await deliver(n!)).status).toBe(204);
    expect(await orderStatus(a.id)).toBe("delivered");

    // Not paid at WeChat: closed there, then moved (WeChat can no longer take money for it).
    const b = await order(s);
    expect((await start(b.paymentId, "sandbox")).status).toBe(200);
    expect((await getPaymentById(env.DB, b.paymentId))!.provider).toBe("sandbox");
    const wx = (await providerFor(env, "wechatpay", s.tenant.id))!;
    expect((await wx.queryCharge({ id: b.paymentId })).state).toBe("closed");
    expect((await fetch(`${WX}/h5/pay`, { method: "POST", body: new URLSearchParams({ prepay_id: new URL(b.redirectUrl).searchParams.get("prepay_id")!, redirect_url: "http://x/" }), redirect: "manual" })).status).not.toBe(303);
  });

  it("paid at WeChat, its notice lost: cancelling, paying again there or in the sandbox, or opening the order credits it once, and nothing is charged twice", async () => {
    const s = await wechatShop(4);
    const start = (paymentId: string, provider: string) => exports.default.fetch(`http://kaquan.test/api/v1/pay/checkout/${paymentId}/start`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }),
    });
    const keysOf = (id: string) => env.DB.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE order_id = ?").bind(id).first<{ n: number }>().then((r) => r!.n);
    const refundsOf = (paymentId: string) => env.DB.prepare("SELECT COUNT(*) AS n FROM payments WHERE refund_of = ?").bind(paymentId).first<{ n: number }>().then((r) => r!.n);
    // The page still says 待支付, so the buyer cancels: WeChat says it has the money, so the order is delivered instead.
    const a = await order(s);
    await buyerPays(a.redirectUrl);
    const cancel = await shop(s.slug, `/orders/${a.id}/cancel`, { method: "POST", cookie: a.cookie });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe("order_paid");
    expect(await orderStatus(a.id)).toBe("delivered");
    // Or taps 微信支付 again: WeChat refuses to open a paid charge (ORDERPAID), which is credited.
    const b = await order(s);
    await buyerPays(b.redirectUrl);
    const again = await start(b.paymentId, "wechatpay");
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.code).toBe("order_paid");
    expect(await orderStatus(b.id)).toBe("delivered");
    // Or the development sandbox's 确认支付: it asks WeChat first, as any change of gateway does, and takes nothing.
    const c = await order(s);
    await buyerPays(c.redirectUrl);
    const sbx = await exports.default.fetch(`http://kaquan.test/api/v1/pay/sandbox/checkout/${c.paymentId}/pay`, { method: "POST" });
    expect(sbx.status).toBe(409);
    expect(await orderStatus(c.id)).toBe("delivered");
    expect((await getPaymentById(env.DB, c.paymentId))!.provider).toBe("wechatpay");
    // Or just looks at the order page: past the time a notice takes, the page's read asks WeChat, and shows the key.
    const d = await order(s);
    await buyerPays(d.redirectUrl);
    expect((await shop(s.slug, `/orders/${d.id}`, { cookie: d.cookie })).body.order.status).toBe("created"); // too early to ask
    await env.DB.prepare("UPDATE orders SET created_at = ? WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), d.id).run();
    const seen = await shop(s.slug, `/orders/${d.id}`, { cookie: d.cookie });
    expect(seen.body.order.status).toBe("delivered");
    expect(seen.body.vouchers).toHaveLength(1);
    // The notices arrive late: one key each, and nothing refunded (the money WeChat holds is the order's).
    for (const n of await held(s.merchant.mchId)) expect((await deliver(n)).status).toBe(204);
    for (const x of [a, b, c, d]) {
      expect(await keysOf(x.id)).toBe(1);
      expect(await refundsOf(x.paymentId)).toBe(0);
    }
  });

  it("the operator's whole refund that WeChat takes as PROCESSING is answered as taken, not as failed, and is not repeated", async () => {
    const s = await wechatShop(1);
    const a = await order(s);
    await buyerPays(a.redirectUrl);
    const [n] = await held(s.merchant.mchId);
    expect((await deliver(n!)).status).toBe(204);
    expect(await orderStatus(a.id)).toBe("delivered");
    // This sandbox merchant never finishes a refund by itself: WeChat's first answer, PROCESSING, is all there is.
    const r = await api(`/orders/${a.id}/refunds`, { method: "POST", token: s.adminKey, json: { units: 1, reason: "客户申请退款" } });
    expect(r.status).toBe(201);
    expect(r.body.order.status).toBe("refunded");
    expect(r.body.refund).toMatchObject({ amountCents: a.amountCents });
    const again = await api(`/orders/${a.id}/refunds`, { method: "POST", token: s.adminKey, json: { units: 1, reason: "再退一次" } });
    expect(again.status).toBe(409);
    const rows = await env.DB.prepare("SELECT id, status FROM payments WHERE refund_of = ?").bind(a.paymentId).all<{ id: string; status: string }>();
    expect(rows.results.map((x) => x.status)).toEqual(["pending"]);
    // WeChat finishes it: its notice goes to the platform's public origin (CORS_ORIGINS' first), not http://localhost,
    // and, the refund confirmed when asked, completes our row.
    await fetch(`${WX}/sandbox/merchants/${s.merchant.mchId}/refunds/${rows.results[0]!.id}/settle`, { method: "POST" });
    const [notice] = await held(s.merchant.mchId);
    expect(new URL(notice!.url).origin).toBe(env.CORS_ORIGINS.split(",")[0]!.trim());
    expect((await deliver(notice!)).status).toBe(204);
    const done = await env.DB.prepare("SELECT status FROM payments WHERE refund_of = ?").bind(a.paymentId).first<{ status: string }>();
    expect(done!.status).toBe("succeeded");
  });

  it("a refund WeChat takes as PROCESSING and ends ABNORMAL gives the right and the order back, once (its notice twice)", async () => {
    const s = await wechatShop(1);
    const a = await order(s);
    await buyerPays(a.redirectUrl);
    const [n] = await held(s.merchant.mchId);
    expect((await deliver(n!)).status).toBe(204);
    const r = await api(`/orders/${a.id}/refunds`, { method: "POST", token: s.adminKey, json: { units: 1, reason: "客户申请退款" } });
    expect(r.body.order.status).toBe("refunded");
    expect(r.body.refund.status).toBe("pending"); // 退款中
    await fetch(`${WX}/sandbox/merchants/${s.merchant.mchId}/refunds/${r.body.refund.id}/settle`, { method: "POST", body: JSON.stringify({ status: "ABNORMAL" }) });
    const [notice] = await held(s.merchant.mchId);
    expect(JSON.parse(notice!.body).event_type).toBe("REFUND.ABNORMAL");
    expect((await deliver(notice!)).status).toBe(204);
    expect((await deliver(notice!)).status).toBe(204); // WeChat retries its notice
    const detail = (await api(`/orders/${a.id}/detail`, { token: s.adminKey })).body;
    expect(detail.order.status).toBe("delivered");
    expect(detail.vouchers.map((v: any) => v.status)).toEqual(["issued"]);
    expect(detail.refundableCents).toBe(a.amountCents);
    expect(detail.payments.find((p: any) => p.id === r.body.refund.id)).toMatchObject({ status: "failed", failureReason: "ABNORMAL" });
    expect((await recordedOfType(s.tenant.id, "order_refund_failed")).map((e) => [e.payload.orderId, e.payload.reopened])).toEqual([[a.id, true]]);
  });

  it("a WeChat payment for a charge the sandbox took over is refunded at WeChat, once, and the brand alerted", async () => {
    const s = await wechatShop(1);
    const a = await order(s);
    await buyerPays(a.redirectUrl);
    // The charge moved to the sandbox while WeChat took the money (as when WeChat could not be closed or asked): the
    // sandbox is paid too, so WeChat's payment is a stray one.
    await env.DB.prepare("UPDATE payments SET provider = 'sandbox' WHERE id = ?").bind(a.paymentId).run();
    const sbx = await exports.default.fetch(`http://kaquan.test/api/v1/pay/sandbox/checkout/${a.paymentId}/pay`, { method: "POST" });
    expect(sbx.status).toBe(200);
    expect(await orderStatus(a.id)).toBe("delivered");
    const [n] = await held(s.merchant.mchId);
    expect((await deliver(n!)).status).toBe(204);
    expect((await deliver(n!)).status).toBe(204); // WeChat retries: the same refund id, one refund
    const wx = (await providerFor(env, "wechatpay", s.tenant.id))!;
    const payment = (await getPaymentById(env.DB, a.paymentId))!;
    expect(payment).toMatchObject({ provider: "sandbox", status: "succeeded" });
    expect((await wx.queryRefund(payment, `rfx_wechatpay_${a.paymentId}`)).state).toBe("processing");
    const vouchers = await env.DB.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE order_id = ?").bind(a.id).first<{ n: number }>();
    expect(vouchers!.n).toBe(1);
    const alerts = (await recordedOfType(s.tenant.id, "alert")).filter((e) => e.payload.kind === "stray_payment_refunded");
    expect(alerts.map((e) => [e.payload.orderId, e.payload.provider, e.payload.amountCents])).toEqual([[a.id, "wechatpay", a.amountCents]]);
  });

  it("a WeChat notice for a charge that moved to the sandbox, which WeChat does not confirm, is refused and recorded for the brand", async () => {
    const s = await wechatShop(2);
    const paid = await order(s);
    await buyerPays(paid.redirectUrl);
    const [n] = await held(s.merchant.mchId); // a genuine notice, to sign a forged one like it
    const moved = await order(s);
    await env.DB.prepare("UPDATE payments SET provider = 'sandbox' WHERE id = ?").bind(moved.paymentId).run();
    const forged = await withResource(n!, s.merchant.apiV3Key, (r) => ({ ...r, out_trade_no: moved.paymentId, attach: moved.id, amount: { ...r.amount, total: moved.amountCents } }));
    const res = await deliver(forged);
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe("gateway_unconfirmed");
    expect(await orderStatus(moved.id)).toBe("created");
    expect((await getPaymentById(env.DB, moved.paymentId))!).toMatchObject({ provider: "sandbox", status: "pending" });
    const accountId = (await getPaymentAccount(env.DB, s.tenant.id, "wechatpay"))!.id;
    const refused = (await recordedOfType(s.tenant.id, "payment_callback_refused")).map((e) => e.payload);
    expect(refused).toEqual([{ paymentId: moved.paymentId, reason: "gateway_unconfirmed", provider: "wechatpay", accountId }]);
    // Nothing was taken back at WeChat for it, and no stray-payment alert.
    expect((await recordedOfType(s.tenant.id, "alert")).filter((e) => e.payload.kind === "stray_payment_refunded")).toEqual([]);
    // One naming the moved charge with another amount is refused as the main path refuses it, and recorded.
    const cheaper = await deliver(await withResource(n!, s.merchant.apiV3Key, (r) => ({ ...r, out_trade_no: moved.paymentId, attach: moved.id, amount: { ...r.amount, total: moved.amountCents - 1, payer_total: moved.amountCents - 1 } })));
    expect(cheaper.status).toBe(400);
    expect(((await cheaper.json()) as any).error.code).toBe("amount_mismatch");
    expect((await recordedOfType(s.tenant.id, "payment_callback_refused")).map((e) => e.payload.reason)).toEqual(["gateway_unconfirmed", "amount_mismatch"]);
  });

  it("a key that is a PEM block but not a usable key is refused at save; one stored before that refuses notices with a 401, not a 500", async () => {
    const s = await wechatShop(1);
    const junk = (label: string) => `-----BEGIN ${label}-----\n${"A".repeat(78)}\n-----END ${label}-----`;
    const bad = await api("/payment-accounts", {
      method: "PUT", token: s.adminKey,
      json: { provider: "wechatpay", config: { ...s.merchant, merchantPrivateKeyPem: junk("PRIVATE KEY"), platformPublicKeyPem: junk("PUBLIC KEY") } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_key");
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.config.merchantPrivateKeyPem", "json.config.platformPublicKeyPem"]);
    // The account kept its working keys.
    const row = (await getPaymentAccount(env.DB, s.tenant.id, "wechatpay"))!;
    expect((await providerFor(env, "wechatpay", s.tenant.id))!.name).toBe("wechatpay");

    // Saved before the check existed: the callback cannot verify anything and says so.
    await upsertPaymentAccount(env.DB, { ...row, config_enc: await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, JSON.stringify({ ...s.merchant, platformPublicKeyPem: junk("PUBLIC KEY") })) });
    const res = await exports.default.fetch(`http://kaquan.test/api/v1/pay/callback/wechatpay/${row.id}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe("signature_unverifiable");
  });

  it("a gateway that cannot be reached answers 502, and the charge stays where it was", async () => {
    const s = await wechatShop(1);
    const a = await order(s);
    const saved = await api("/payment-accounts", { method: "PUT", token: s.adminKey, json: { provider: "wechatpay", config: { ...s.merchant, gatewayUrl: "http://127.0.0.1:1" } } });
    expect(saved.status).toBe(200);
    for (const provider of ["wechatpay", "sandbox"]) {
      const res = await exports.default.fetch(`http://kaquan.test/api/v1/pay/checkout/${a.paymentId}/start`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }),
      });
      expect(res.status).toBe(502);
      expect(((await res.json()) as any).error.code).toBe("gateway_unavailable");
    }
    expect((await getPaymentById(env.DB, a.paymentId))!.provider).toBe("wechatpay");
  });
});
