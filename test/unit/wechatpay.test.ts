import { createCipheriv, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatTradeBill, parseTradeBill } from "../../worker/payments/wechatpay/bill";
import {
  decryptResource, gatewaySignatureHeaders, importPrivateKey, importPublicKey, parseAuthorization, requestSigningString, rsaSign, rsaVerify, signRequest, verifyGatewaySignature,
} from "../../worker/payments/wechatpay/crypto";
import { wechatPayProvider } from "../../worker/payments/wechatpay";
import { createWechatPayApp } from "../../scripts/lib/wechatpay-app";
import type { PaymentRow } from "../../worker/db/payments";
import type { WechatPayAccount } from "../../schema/payments";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const pubPem = publicKey.export({ type: "spki", format: "pem" }).toString();

describe("WeChat Pay v3 signatures", () => {
  it("signs METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n exactly", () => {
    expect(requestSigningString("post", "/v3/pay/transactions/h5?x=1", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", '{"a":1}'))
      .toBe('POST\n/v3/pay/transactions/h5?x=1\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"a":1}\n');
    expect(requestSigningString("GET", "/v3/certificates", "1", "n", "")).toBe("GET\n/v3/certificates\n1\nn\n\n");
  });

  it("an Authorization header verifies with the merchant public key, and not after a change", async () => {
    const header = await signRequest(await importPrivateKey(privPem), "1900000109", "5157F09EFDC096DE15EBE81A47057A72", "GET", "/v3/x?mchid=1", "", 1700000000, "NONCE1");
    expect(header).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="NONCE1",signature="[A-Za-z0-9+/=]+",timestamp="1700000000",serial_no="5157F09EFDC096DE15EBE81A47057A72"$/);
    const a = parseAuthorization(header)!;
    const pub = await importPublicKey(pubPem);
    expect(await rsaVerify(pub, requestSigningString("GET", "/v3/x?mchid=1", a.timestamp, a.nonce_str, ""), a.signature)).toBe(true);
    expect(await rsaVerify(pub, requestSigningString("GET", "/v3/x?mchid=2", a.timestamp, a.nonce_str, ""), a.signature)).toBe(false);
  });

  it("gateway signatures: valid, wrong serial, replayed, tampered", async () => {
    const key = await importPrivateKey(privPem);
    const pub = await importPublicKey(pubPem);
    const body = '{"ok":true}';
    const h = new Headers(await gatewaySignatureHeaders(key, "SERIAL1", body, 1_700_000_000));
    expect(await verifyGatewaySignature(pub, "SERIAL1", h, body, 1_700_000_100)).toEqual({ ok: true });
    expect((await verifyGatewaySignature(pub, "OTHER", h, body, 1_700_000_100)) as { code?: string }).toMatchObject({ code: "signature_serial" });
    expect((await verifyGatewaySignature(pub, "SERIAL1", h, body, 1_700_000_301)) as { code?: string }).toMatchObject({ code: "signature_expired" });
    expect((await verifyGatewaySignature(pub, "SERIAL1", h, '{"ok":false}', 1_700_000_000)) as { code?: string }).toMatchObject({ code: "signature_invalid" });
    expect(await rsaVerify(pub, "x", await rsaSign(key, "x"))).toBe(true);
  });

  it("decrypts a resource sealed by Node's AES-256-GCM (ciphertext ‖ tag, base64)", async () => {
    const apiV3Key = "0123456789abcdef0123456789ABCDEF";
    const nonce = "fdasflkja484";
    const plain = JSON.stringify({ out_trade_no: "pay_1", trade_state: "SUCCESS", amount: { total: 100 } });
    const cipher = createCipheriv("aes-256-gcm", Buffer.from(apiV3Key), Buffer.from(nonce));
    cipher.setAAD(Buffer.from("transaction"));
    const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]).toString("base64");
    expect(await decryptResource(apiV3Key, { algorithm: "AEAD_AES_256_GCM", ciphertext: sealed, nonce, associated_data: "transaction" })).toBe(plain);
    await expect(decryptResource(apiV3Key, { algorithm: "AEAD_AES_256_GCM", ciphertext: sealed, nonce, associated_data: "refund" })).rejects.toThrow();
  });
});

describe("the trade bill", () => {
  it("parses charges and refunds (backticked, yuan) and stops at the summary", () => {
    const text = [
      "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单总金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
      "`2026-11-30 10:01:02,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200000001202611301234567890,`pay_a,`oUpF8uMuAJO,`MWEB,`SUCCESS,`OTHERS,`CNY,`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`视频月卡,`ord_a,`0.07,`0.60%,`12.30,`0.00,`",
      "`2026-11-30 11:00:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200000001202611301234567890,`pay_a,`oUpF8uMuAJO,`MWEB,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50000000012026113000001,`rf_a,`5.00,`0.00,`ORIGINAL,`SUCCESS,`视频月卡,`ord_a,`-0.03,`0.60%,`0.00,`5.00,`",
      "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
      "`2,`12.30,`5.00,`0.00,`0.04,`12.30,`5.00",
    ].join("\r\n");
    expect(parseTradeBill(text)).toEqual([
      { kind: "payment", merchantRef: "pay_a", gatewayRef: "4200000001202611301234567890", amountCents: 1230, feeCents: 7, at: "2026-11-30T02:01:02.000Z" },
      { kind: "refund", merchantRef: "rf_a", gatewayRef: "50000000012026113000001", amountCents: 500, feeCents: 3, at: "2026-11-30T03:00:00.000Z" },
    ]);
    const written = formatTradeBill([
      { at: "2026-11-30T02:01:02.000Z", appId: "wx1", mchId: "1900000109", transactionId: "t1", outTradeNo: "pay_b", openid: "o", state: "SUCCESS", totalCents: 5, description: "a,b", attach: "ord_b", feeCents: 0 },
    ]);
    expect(written.split("\r\n")[1]).toMatch(/^`2026-11-30 10:01:02,`wx1,/);
    expect(parseTradeBill(written)).toEqual([{ kind: "payment", merchantRef: "pay_b", gatewayRef: "t1", amountCents: 5, feeCents: 0, at: "2026-11-30T02:01:02.000Z" }]);
  });
});

describe("the adapter against the sandbox (in process)", () => {
  it("opens, pays, queries, refunds and downloads the bill with verified answers", async () => {
    const notices: { url: string; body: string; headers: Headers }[] = [];
    const { app } = await createWechatPayApp({ fetch: async (u, init) => (notices.push({ url: String(u), body: String(init!.body), headers: new Headers(init!.headers) }), new Response(null, { status: 204 })) });
    const viaApp: typeof fetch = async (u, init) => app.fetch(new Request(u, init));
    const m = (await (await viaApp("http://wx.sandbox/sandbox/merchants", { method: "POST", body: JSON.stringify({ refundDelayMs: null }) })).json()) as WechatPayAccount;
    const wx = wechatPayProvider({ ...m, gatewayUrl: "http://wx.sandbox" }, { notifyUrl: "http://shop.test/notify", fetch: viaApp, now: Date.now });
    const pay = { id: "pay_unit_1", order_id: "ord_unit_1", amount_cents: 990, currency: "CNY", tenant_id: "t" } as PaymentRow;
    const { redirectUrl } = await wx.startPayment(pay, { origin: "http://shop.test", title: "月卡", returnUrl: "http://shop.test/back?o=1" });
    expect(redirectUrl).toContain("&redirect_url=http%3A%2F%2Fshop.test%2Fback%3Fo%3D1");
    expect(await wx.queryCharge(pay)).toEqual({ state: "unpaid", amountCents: 990, gatewayTxnId: undefined, payerAccount: "" });
    const page = await viaApp(redirectUrl);
    expect(await page.text()).toContain("确认支付");
    const prepay = new URL(redirectUrl).searchParams.get("prepay_id")!;
    const paid = await viaApp("http://wx.sandbox/h5/pay", { method: "POST", body: new URLSearchParams({ prepay_id: prepay, redirect_url: "http://shop.test/back" }), redirect: "manual" });
    expect(paid.status).toBe(303);
    while (!notices.length) await new Promise((r) => setImmediate(r));
    const verified = await wx.verifyCallback(notices[0]!.body, notices[0]!.headers);
    expect(verified).toMatchObject({ ok: true, notice: { type: "payment.succeeded", paymentId: "pay_unit_1", orderId: "ord_unit_1", amountCents: 990 } });
    expect((await wx.queryCharge(pay)).state).toBe("paid");
    expect(await wx.refund(pay, 300, "rf_unit_1", "test")).toMatchObject({ ok: true, state: "processing" });
    expect(await wx.refund(pay, 800, "rf_unit_2", "test")).toEqual({ ok: false, reason: "NOT_ENOUGH" });
    expect((await wx.queryRefund(pay, "rf_unit_1")).state).toBe("processing");
    expect((await wx.queryRefund(pay, "rf_nope")).state).toBe("not_found");
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(wx.parseStatement(await wx.downloadStatement(day)).map((l) => [l.kind, l.merchantRef, l.amountCents])).toEqual([["payment", "pay_unit_1", 990]]);
    // A closed charge cannot be paid at the H5 page.
    const other = { ...pay, id: "pay_unit_2" };
    const second = new URL((await wx.startPayment(other, { origin: "x", title: "t", returnUrl: "http://shop.test/b" })).redirectUrl);
    await wx.closeCharge(other);
    expect((await wx.queryCharge(other)).state).toBe("closed");
    expect((await viaApp("http://wx.sandbox/h5/pay", { method: "POST", body: new URLSearchParams({ prepay_id: second.searchParams.get("prepay_id")! }) })).status).toBe(409);
    await expect(wx.closeCharge(pay)).rejects.toThrow(/ORDERPAID/);
    // A forged key: the sandbox refuses the request signature.
    const forged = wechatPayProvider({ ...m, merchantPrivateKeyPem: privPem, gatewayUrl: "http://wx.sandbox" }, { notifyUrl: "http://x", fetch: viaApp, now: Date.now });
    await expect(forged.queryCharge(pay)).rejects.toThrow(/SIGN_ERROR/);
  });
});
