/**
 * Forged gateway notices across tenants. Each brand connects its own WeChat Pay / Alipay account and gets its own
 * notify URL (/api/v1/pay/callback/<provider>/<accountId>); a notice is believed only for that account's own
 * payments, for that account's merchant / app, with the order's amount, once. Every refusal changes nothing, and the
 * attempt is recorded as `payment_callback_refused` for the brand(s) concerned.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { WechatPayAccount } from "../../schema/payments";
import { getPaymentById } from "../../worker/db/payments";
import { chinaTimestamp } from "../../worker/payments/alipay/amount";
import { decryptResource, encryptResource, type EncryptedResource } from "../../worker/payments/wechatpay/crypto";
import { shop, shopWithKeys } from "./commerce-helpers";
import { api, recordedOfType } from "./helpers";

const ORIGIN = "http://kaquan.test";
const WX = () => inject("wechatpayUrl");
const ALI = () => inject("alipayUrl");
type Held = { url: string; headers: Record<string, string>; body: string };
type Shop = Awaited<ReturnType<typeof shopWithKeys>>;

const orderStatus = (id: string) => env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(id).first<{ status: string }>().then((r) => r!.status);
const chargeStatus = async (id: string) => (await getPaymentById(env.DB, id))!.status;
const vouchersOf = (orderId: string) => env.DB.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE order_id = ?").bind(orderId).first<{ n: number }>().then((r) => r!.n);
const refusals = async (tenantId: string) => (await recordedOfType(tenantId, "payment_callback_refused")).map((e) => e.payload as Record<string, unknown>);
const paidEvents = async (tenantId: string, orderId: string) => (await recordedOfType(tenantId, "order_paid")).filter((e) => e.payload.orderId === orderId).length;

async function connect(s: Shop, provider: "wechatpay" | "alipay", config: object) {
  const saved = await api("/payment-accounts", { method: "PUT", token: s.adminKey, json: { provider, config } });
  expect(saved.status).toBe(200);
  return { accountId: saved.body.id as string, notifyUrl: `${ORIGIN}/api/v1/pay/callback/${provider}/${saved.body.id}` };
}

/** An order in the shop, sent from the cashier to the gateway (the charge opened there). */
async function orderAt(s: Shop, provider: "wechatpay" | "alipay") {
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `xt-${crypto.randomUUID()}`, json: { productId: s.productId } });
  expect(o.status).toBe(201);
  const paymentId = o.body.checkoutUrl.split("/").pop() as string;
  const start = await exports.default.fetch(`${ORIGIN}/api/v1/pay/checkout/${paymentId}/start`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ provider }),
  });
  expect(start.status).toBe(200);
  const { redirectUrl } = (await start.json()) as { redirectUrl: string };
  return { id: o.body.id as string, paymentId, redirectUrl, amountCents: o.body.amountCents as number };
}

// ---- WeChat Pay ----

async function wechatMerchant(): Promise<WechatPayAccount> {
  return (await (await fetch(`${WX()}/sandbox/merchants`, { method: "POST", body: JSON.stringify({ deliver: "hold", refundDelayMs: null }) })).json()) as WechatPayAccount;
}
async function wechatPays(redirectUrl: string, mchId: string): Promise<Held> {
  const url = new URL(redirectUrl);
  const res = await fetch(`${WX()}/h5/pay`, { method: "POST", body: new URLSearchParams({ prepay_id: url.searchParams.get("prepay_id")!, redirect_url: url.searchParams.get("redirect_url")! }), redirect: "manual" });
  expect(res.status).toBe(303);
  const { notifications } = (await (await fetch(`${WX()}/sandbox/merchants/${mchId}/notifications`)).json()) as { notifications: Held[] };
  expect(notifications).toHaveLength(1);
  return notifications[0]!;
}
/** Signed as the WeChat platform (the sandbox's one platform key, as every merchant there sees it). */
async function platformSigned(body: string, timestamp?: number): Promise<Record<string, string>> {
  return ((await (await fetch(`${WX()}/sandbox/sign`, { method: "POST", body: JSON.stringify({ body, timestamp }) })).json()) as { headers: Record<string, string> }).headers;
}
/** A notice whose resource is re-encrypted with `apiV3Key` after `edit` (what a breach of that key, or a bug, would send). */
async function rewritten(n: Held, fromKey: string, toKey: string, edit: (r: Record<string, any>) => Record<string, any>) {
  const event = JSON.parse(n.body) as { resource: EncryptedResource };
  const plain = JSON.parse(await decryptResource(fromKey, event.resource));
  event.resource = await encryptResource(toKey, JSON.stringify(edit(plain)), "transaction", "transaction");
  const body = JSON.stringify(event);
  return { headers: await platformSigned(body), body };
}
async function post(url: string, n: { headers: Record<string, string>; body: string }) {
  const res = await exports.default.fetch(url, { method: "POST", headers: n.headers, body: n.body });
  const text = await res.text();
  return { status: res.status, code: text ? ((JSON.parse(text) as { error?: { code: string } }).error?.code ?? null) : null };
}

describe("WeChat Pay notices across tenants", { timeout: 90_000 }, () => {
  it("another brand's notice, one naming another brand's payment, another merchant or app, another amount, or a replay pays nothing", async () => {
    const A = await shopWithKeys(2);
    const B = await shopWithKeys(2);
    const mA = await wechatMerchant();
    const mB = await wechatMerchant();
    const accA = await connect(A, "wechatpay", mA);
    const accB = await connect(B, "wechatpay", mB);
    const a = await orderAt(A, "wechatpay");
    const b = await orderAt(B, "wechatpay");
    const nA = await wechatPays(a.redirectUrl, mA.mchId);
    expect(nA.url).toBe(accA.notifyUrl.replace(ORIGIN, new URL(nA.url).origin));
    const b2 = await orderAt(B, "wechatpay"); // opened at WeChat, never paid

    // 1. A's genuine notice (platform-signed, encrypted with A's APIv3 key) at B's notify URL.
    expect(await post(accB.notifyUrl, nA)).toEqual({ status: 400, code: "decrypt_failed" });
    // Anyone may post to a notify URL: a flood of the same refused notice is one record (per minute), not one each.
    for (let i = 0; i < 4; i++) expect((await post(accB.notifyUrl, nA)).status).toBe(400);
    expect((await refusals(B.tenant.id)).filter((p) => p.reason === "decrypt_failed").length).toBeLessThanOrEqual(2);
    // 2. A notice naming B's payment (its out_trade_no, order and amount), encrypted with A's key, at A's URL.
    const forB = await rewritten(nA, mA.apiV3Key, mA.apiV3Key, (r) => ({ ...r, out_trade_no: b.paymentId, attach: b.id, amount: { ...r.amount, total: b.amountCents } }));
    expect(await post(accA.notifyUrl, forB)).toEqual({ status: 404, code: "not_found" });
    // … and the same with B's key (a breach of B's APIv3 key) but A's mchid / appid, or none, at B's URL.
    const nameB = (r: Record<string, any>) => ({ ...r, out_trade_no: b.paymentId, attach: b.id, amount: { ...r.amount, total: b.amountCents } });
    expect(await post(accB.notifyUrl, await rewritten(nA, mA.apiV3Key, mB.apiV3Key, (r) => ({ ...nameB(r), mchid: mA.mchId, appid: mB.appId })))).toEqual({ status: 400, code: "wrong_merchant" });
    expect(await post(accB.notifyUrl, await rewritten(nA, mA.apiV3Key, mB.apiV3Key, (r) => ({ ...nameB(r), mchid: mB.mchId, appid: mA.appId })))).toEqual({ status: 400, code: "wrong_app" });
    expect(await post(accB.notifyUrl, await rewritten(nA, mA.apiV3Key, mB.apiV3Key, (r) => ({ ...nameB(r), mchid: undefined, appid: undefined })))).toEqual({ status: 400, code: "wrong_merchant" });
    // 3. B's own merchant and app, another amount than the order's.
    expect(await post(accB.notifyUrl, await rewritten(nA, mA.apiV3Key, mB.apiV3Key, (r) => ({ ...nameB(r), mchid: mB.mchId, appid: mB.appId, amount: { ...r.amount, total: b.amountCents - 1 } })))).toEqual({ status: 400, code: "amount_mismatch" });
    // B's merchant and app, B's amount, but a charge WeChat never saw paid: the gateway is asked and says no.
    expect(await post(accB.notifyUrl, await rewritten(nA, mA.apiV3Key, mB.apiV3Key, (r) => ({ ...r, out_trade_no: b2.paymentId, attach: b2.id, amount: { ...r.amount, total: b2.amountCents }, mchid: mB.mchId, appid: mB.appId })))).toEqual({ status: 409, code: "gateway_unconfirmed" });

    for (const o of [b, b2]) {
      expect([await orderStatus(o.id), await chargeStatus(o.paymentId), await vouchersOf(o.id)]).toEqual(["created", "pending", 0]);
      expect(await paidEvents(B.tenant.id, o.id)).toBe(0);
    }
    // A's order was not paid by its notice landing at B either; at A's own URL it is, once; a replay changes nothing.
    expect(await orderStatus(a.id)).toBe("created");
    expect(await post(accA.notifyUrl, nA)).toEqual({ status: 204, code: null });
    expect(await post(accA.notifyUrl, nA)).toEqual({ status: 204, code: null });
    expect(await orderStatus(a.id)).toBe("delivered");
    expect(await paidEvents(A.tenant.id, a.id)).toBe(1);
    // Replayed later (re-signed with an old time), or at B's URL after it was applied: refused.
    expect(await post(accA.notifyUrl, { headers: await platformSigned(nA.body, Math.floor(Date.now() / 1000) - 400), body: nA.body })).toEqual({ status: 401, code: "signature_expired" });
    expect(await post(accB.notifyUrl, nA)).toEqual({ status: 400, code: "decrypt_failed" });
    expect(await vouchersOf(a.id)).toBe(1);

    // Visible to each brand: B sees the notices at its URL and the one naming its payment at A's; A sees the one at its URL.
    const atB = await refusals(B.tenant.id);
    for (const reason of ["decrypt_failed", "wrong_merchant", "wrong_app", "amount_mismatch", "gateway_unconfirmed"]) expect(atB.map((p) => p.reason)).toContain(reason);
    expect(atB).toContainEqual(expect.objectContaining({ paymentId: b.paymentId, reason: "wrong_account", provider: "wechatpay" }));
    expect(atB.filter((p) => p.reason === "decrypt_failed")).toContainEqual(expect.objectContaining({ provider: "wechatpay", accountId: accB.accountId }));
    const atA = await refusals(A.tenant.id);
    expect(atA).toContainEqual(expect.objectContaining({ paymentId: b.paymentId, reason: "unknown_payment", provider: "wechatpay", accountId: accA.accountId }));
    // A learns nothing of B's: its record is the same as for a payment id that does not exist at all.
    expect(atA.some((p) => p.reason === "wrong_account")).toBe(false);
    expect(JSON.stringify(atB)).not.toContain(accA.accountId);
  });

  it("two brands sharing one merchant: a genuine notice for one brand's payment at the other's URL is refused, then paid at its own", async () => {
    const B = await shopWithKeys(1);
    const C = await shopWithKeys(1);
    const m = await wechatMerchant();
    const accB = await connect(B, "wechatpay", m);
    const accC = await connect(C, "wechatpay", m);
    const b = await orderAt(B, "wechatpay");
    const nB = await wechatPays(b.redirectUrl, m.mchId);
    expect(await post(accC.notifyUrl, nB)).toEqual({ status: 404, code: "not_found" });
    expect([await orderStatus(b.id), await chargeStatus(b.paymentId), await vouchersOf(b.id)]).toEqual(["created", "pending", 0]);
    expect(await refusals(C.tenant.id)).toContainEqual(expect.objectContaining({ paymentId: b.paymentId, reason: "unknown_payment", accountId: accC.accountId }));
    expect(await refusals(B.tenant.id)).toContainEqual(expect.objectContaining({ paymentId: b.paymentId, reason: "wrong_account" }));
    expect(await post(accB.notifyUrl, nB)).toEqual({ status: 204, code: null });
    expect(await orderStatus(b.id)).toBe("delivered");
  });
});

// ---- Alipay ----

async function alipayPays(paymentId: string) {
  const res = await fetch(`${ALI()}/sandbox/wap/confirm?notify=return`, { method: "POST", body: new URLSearchParams({ out_trade_no: paymentId }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { notify: { url: string; body: string } }).notify;
}
/** A notify signed with the sandbox's Alipay key, saying whatever the test wants. */
async function alipaySigned(body: string, changes: Record<string, string>) {
  const params: Record<string, string> = { ...Object.fromEntries(new URLSearchParams(body)), ...changes };
  delete params.sign;
  return (await fetch(`${ALI()}/sandbox/sign-notify`, { method: "POST", body: JSON.stringify(params) })).text();
}
async function notify(url: string, body: string) {
  const res = await exports.default.fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body });
  const text = await res.text();
  return { status: res.status, code: text === "success" ? "success" : (JSON.parse(text) as { error: { code: string } }).error.code };
}

describe("Alipay notices across tenants", { timeout: 90_000 }, () => {
  it("one app shared by two brands: the other brand's notify, another app or seller, another amount, or a replay pays nothing", async () => {
    const A = await shopWithKeys(2);
    const B = await shopWithKeys(2);
    const merchant = (await (await fetch(`${ALI()}/sandbox/merchant`)).json()) as { appId: string; sellerId: string };
    expect(merchant.sellerId).toMatch(/^2088\d{12}$/);
    const accA = await connect(A, "alipay", merchant);
    const accB = await connect(B, "alipay", merchant);
    const b = await orderAt(B, "alipay");
    expect(new URL(b.redirectUrl).searchParams.get("notify_url")).toBe(accB.notifyUrl);
    expect((await fetch(b.redirectUrl)).status).toBe(200); // the buyer reaches Alipay's cashier: the trade is open
    const nB = await alipayPays(b.paymentId);
    expect(nB.url).toBe(accB.notifyUrl);

    // B's genuine notify (Alipay-signed, the shared app's) at A's notify URL.
    expect(await notify(accA.notifyUrl, nB.body)).toEqual({ status: 404, code: "not_found" });
    // Another app, another seller, another amount, at B's own URL.
    expect(await notify(accB.notifyUrl, await alipaySigned(nB.body, { app_id: "2021009999999999" }))).toEqual({ status: 401, code: "signature_wrong_app" });
    expect(await notify(accB.notifyUrl, await alipaySigned(nB.body, { seller_id: "2088000000000009" }))).toEqual({ status: 400, code: "wrong_seller" });
    expect(await notify(accB.notifyUrl, await alipaySigned(nB.body, { total_amount: "0.01" }))).toEqual({ status: 400, code: "amount_mismatch" });
    // Replayed two days later.
    expect(await notify(accB.notifyUrl, await alipaySigned(nB.body, { notify_time: chinaTimestamp(Date.now() - 48 * 3_600_000) }))).toEqual({ status: 401, code: "signature_expired" });
    expect([await orderStatus(b.id), await chargeStatus(b.paymentId), await vouchersOf(b.id)]).toEqual(["created", "pending", 0]);

    // At its own URL it pays once; a replay is acknowledged and changes nothing; at A's URL it is still refused.
    expect(await notify(accB.notifyUrl, nB.body)).toEqual({ status: 200, code: "success" });
    expect(await notify(accB.notifyUrl, nB.body)).toEqual({ status: 200, code: "success" });
    expect(await notify(accA.notifyUrl, nB.body)).toEqual({ status: 404, code: "not_found" });
    expect([await orderStatus(b.id), await vouchersOf(b.id), await paidEvents(B.tenant.id, b.id)]).toEqual(["delivered", 1, 1]);

    const atB = await refusals(B.tenant.id);
    for (const reason of ["wrong_account", "signature_wrong_app", "wrong_seller", "amount_mismatch", "signature_expired"]) expect(atB.map((p) => p.reason)).toContain(reason);
    expect(atB).toContainEqual(expect.objectContaining({ paymentId: b.paymentId, reason: "wrong_seller", provider: "alipay", accountId: accB.accountId }));
    expect(await refusals(A.tenant.id)).toContainEqual(expect.objectContaining({ paymentId: b.paymentId, reason: "unknown_payment", provider: "alipay", accountId: accA.accountId }));
  });
});
