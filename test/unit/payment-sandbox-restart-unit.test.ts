import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createAlipayApp, loadAlipayState } from "../../scripts/lib/alipay-app";
import { createWechatPayApp } from "../../scripts/lib/wechatpay-app";
import type { WechatPayAccount } from "../../schema/payments";
import { signedParams } from "../../worker/payments/alipay/client";
import { importPrivateKey, importPublicKey } from "../../worker/payments/alipay/sign";
import { wechatPayProvider } from "../../worker/payments/wechatpay";
import type { PaymentRow } from "../../worker/db/payments";

// A real gateway is not ours: when our stack (and its sandboxes) is killed, the gateway goes on retrying its notices
// and processing its refunds. The sandboxes keep both in their state files and resume them on start.
const until = async (ok: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("payment sandboxes across a restart", () => {
  it("Alipay: a notify the shop refused is retried by the restarted sandbox, once acknowledged never again", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "alipay-")), "alipay.json");
    const state = await loadAlipayState(file);
    const refused: string[] = [];
    // After its first answer this sandbox is "killed": its own retry timer, still alive in this process, never gets an
    // answer, so it writes nothing more.
    const before = createAlipayApp(state, { file, fetch: async (_u, init) => (refused.push(String(init!.body)), refused.length > 1 ? new Promise<Response>(() => {}) : new Response("fail")) });
    const keys = { appId: state.app.appId, gatewayUrl: "http://ali.sandbox/gateway.do", appKey: importPrivateKey(state.app.privateKeyPem), alipayKey: importPublicKey(state.alipay.publicKeyPem) };
    const biz = { out_trade_no: "pay_restart_1", total_amount: "9.90", subject: "月卡", product_code: "QUICK_WAP_WAY" };
    const params = await signedParams(keys, "alipay.trade.wap.pay", biz, Date.now(), { notify_url: "http://shop.test/notify" });
    expect((await before.request(`/gateway.do?${new URLSearchParams(params)}`)).status).toBe(200);
    await before.request("/sandbox/wap/confirm", { method: "POST", body: new URLSearchParams({ app_id: state.app.appId, out_trade_no: "pay_restart_1" }) });
    expect(refused).toHaveLength(1);
    expect(JSON.parse(readFileSync(file, "utf8")).retries).toMatchObject([{ url: "http://shop.test/notify", attempt: 1 }]);

    // Killed here; started again over its file, with the shop answering now.
    const delivered: string[] = [];
    createAlipayApp(await loadAlipayState(file), { file, fetch: async (_u, init) => (delivered.push(String(init!.body)), new Response("success")) });
    await until(() => delivered.length > 0);
    const notice = new URLSearchParams(delivered[0]);
    expect([notice.get("out_trade_no"), notice.get("trade_status")]).toEqual(["pay_restart_1", "TRADE_SUCCESS"]);
    expect(delivered[0]).toBe(refused[0]);
    expect(JSON.parse(readFileSync(file, "utf8")).retries).toEqual([]);
  });

  it("WeChat Pay: a refund still processing and an unacknowledged notification both go on after a restart", async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), "wechatpay-")), "wechatpay.json");
    const { app: before } = await createWechatPayApp({ stateFile, retryDelaysMs: [60_000], fetch: async () => new Response(null, { status: 500 }) });
    const viaBefore: typeof fetch = async (u, init) => before.fetch(new Request(u, init));
    const m = (await (await viaBefore("http://wx.sandbox/sandbox/merchants", { method: "POST", body: JSON.stringify({ refundDelayMs: 60_000 }) })).json()) as WechatPayAccount;
    const wx = wechatPayProvider({ ...m, gatewayUrl: "http://wx.sandbox" }, { notifyUrl: "http://shop.test/notify", fetch: viaBefore, now: Date.now });
    const pay = { id: "pay_restart_2", order_id: "ord_restart_2", amount_cents: 990, currency: "CNY", tenant_id: "t" } as PaymentRow;
    const prepay = new URL((await wx.startPayment(pay, { origin: "http://shop.test", title: "月卡", returnUrl: "http://shop.test/back" })).redirectUrl).searchParams.get("prepay_id")!;
    await viaBefore("http://wx.sandbox/h5/pay", { method: "POST", body: new URLSearchParams({ prepay_id: prepay }), redirect: "manual" });
    expect(await wx.refund(pay, 300, "rf_restart_2", "test")).toMatchObject({ ok: true, state: "processing" });
    await until(() => (JSON.parse(readFileSync(stateFile, "utf8")).retries ?? []).length === 1);

    // Started again a minute later (its clock says so): the refund's time has come and the notification's retry is due.
    const notices: { body: string; headers: Headers }[] = [];
    const { app: after } = await createWechatPayApp({
      stateFile, now: () => Date.now() + 61_000,
      fetch: async (_u, init) => (notices.push({ body: String(init!.body), headers: new Headers(init!.headers) }), new Response(null, { status: 204 })),
    });
    const viaAfter: typeof fetch = async (u, init) => after.fetch(new Request(u, init));
    const wxAfter = wechatPayProvider({ ...m, gatewayUrl: "http://wx.sandbox" }, { notifyUrl: "http://shop.test/notify", fetch: viaAfter, now: Date.now });
    await until(() => notices.length === 2);
    const kinds = await Promise.all(notices.map(async (n) => ((await wxAfter.verifyCallback(n.body, n.headers)) as { notice?: { type: string } }).notice?.type));
    expect(kinds.sort()).toEqual(["payment.succeeded", "refund.succeeded"]);
    expect((await wxAfter.queryRefund(pay, "rf_restart_2")).state).toBe("succeeded");
    expect(JSON.parse(readFileSync(stateFile, "utf8")).retries).toEqual([]);
  });
});
