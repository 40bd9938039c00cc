/**
 * The local Alipay sandbox: the open platform's protocol with its OWN test keys (an app key pair and an "Alipay" key
 * pair, RSA-2048, generated once and kept in the state file). gateway.do checks the app's RSA2 signature and answers
 * `{"<method>_response":{…},"sign":"…"}` signed with the Alipay key; alipay.trade.wap.pay renders a phone cashier
 * (支付宝 沙箱) whose 确认付款 books the charge, posts the signed async notify to notify_url (retried until it answers
 * "success") and returns the buyer to return_url with signed sync-return parameters. Query, close, refund (idempotent
 * on out_request_no, never above the charge), refund query and the 业务明细 bill (served as UTF-8 CSV directly; the
 * real bill_download_url serves a zip of GBK CSVs) behave as documented. With `deliverNotify: false` (worker tests:
 * workerd can reach this server but not the reverse) notifies are kept in an outbox instead of posted.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { centsToYuan, chinaTimestamp, yuanToCents } from "../../worker/payments/alipay/amount";
import { formatAlipayBill, type BillEntry } from "../../worker/payments/alipay/bill";
import { generateRsa2KeyPair, importPrivateKey, importPublicKey, rsa2Sign, rsa2Verify, signingString } from "../../worker/payments/alipay/sign";

interface Refund { outRequestNo: string; cents: number; feeCents: number; at: number; reason: string }
interface Trade {
  appId: string; tradeNo: string; outTradeNo: string; subject: string; totalCents: number; feeCents: number;
  status: "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED"; createdAt: number; paidAt?: number; expiresAt?: number;
  buyerId?: string; notifyUrl?: string; returnUrl?: string; quitUrl?: string; passback?: string; refunds: Refund[];
}
export interface AlipaySandboxState {
  app: { appId: string; privateKeyPem: string; publicKeyPem: string };
  alipay: { privateKeyPem: string; publicKeyPem: string };
  sellerId: string;
  trades: Record<string, Trade>;
  /** Notifies not acknowledged yet, each with its next try: a real gateway keeps retrying across our restarts. */
  retries?: (Notify & { attempt: number; dueAt: number })[];
}
export interface Notify { url: string; body: string }

/** Keys and books from `file` when it exists, else fresh keys (written there when a file is given). */
export async function loadAlipayState(file?: string): Promise<AlipaySandboxState> {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const [app, alipay] = await Promise.all([generateRsa2KeyPair(), generateRsa2KeyPair()]);
  const state: AlipaySandboxState = {
    app: { appId: `90210${Date.now().toString().slice(-11)}`, privateKeyPem: app.privateKeyPem, publicKeyPem: app.publicKeyPem },
    alipay, sellerId: "2088721000000001", trades: {},
  };
  if (file) saveState(file, state);
  return state;
}

function saveState(file: string, state: AlipaySandboxState) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join("");
const feeOf = (cents: number) => Math.round(cents * 0.006); // the usual 0.6 % rate
const METHOD_ERROR: Record<string, [string, string, string, string]> = {
  "missing-signature": ["40001", "Missing Required Arguments", "isv.missing-signature", "缺少签名参数"],
  "invalid-signature": ["40002", "Invalid Arguments", "isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配"],
  "invalid-app-id": ["40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"],
  "invalid-method": ["40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"],
  "invalid-timestamp": ["40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数"],
  "invalid-biz": ["40002", "Invalid Arguments", "isv.invalid-parameter", "参数无效"],
};
// How a notify nobody acknowledged is retried: Alipay's 2m,10m,10m,1h,2h,6h,15h, compressed for a sandbox.
const RETRY_MS = [2_000, 10_000, 10_000, 60_000, 120_000, 360_000, 900_000];

export function createAlipayApp(state: AlipaySandboxState, opts: { file?: string; deliverNotify?: boolean; fetch?: typeof fetch } = {}) {
  const deliverNotify = opts.deliverNotify ?? true;
  const persist = () => opts.file && saveState(opts.file, state);
  const appKey = importPublicKey(state.app.publicKeyPem);
  const alipayKey = importPrivateKey(state.alipay.privateKeyPem);
  const outbox: Notify[] = [];
  const tradeOf = (appId: string, outTradeNo: unknown) => (typeof outTradeNo === "string" ? state.trades[`${appId}:${outTradeNo}`] : undefined);
  const refundedCents = (t: Trade) => t.refunds.reduce((n, r) => n + r.cents, 0);

  async function signed(params: Record<string, string>) {
    return { ...params, sign: await rsa2Sign(await alipayKey, signingString(params, ["sign", "sign_type"])) };
  }

  async function post(n: Notify, attempt = 0) {
    const answer = await (opts.fetch ?? fetch)(n.url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body: n.body })
      .then((r) => r.text(), () => "");
    const retries = (state.retries ??= []).filter((r) => r.body !== n.body);
    const again = answer.trim() !== "success" && attempt < RETRY_MS.length;
    if (again) retries.push({ url: n.url, body: n.body, attempt: attempt + 1, dueAt: Date.now() + RETRY_MS[attempt]! });
    if (again || retries.length !== state.retries.length) {
      state.retries = retries;
      persist();
    }
    if (again) setTimeout(() => void post(n, attempt + 1), RETRY_MS[attempt]).unref();
    return answer;
  }
  // The retries a restart interrupted go on when they were due (at once if that time has passed).
  for (const r of state.retries ?? []) setTimeout(() => void post({ url: r.url, body: r.body }, r.attempt), Math.max(0, r.dueAt - Date.now())).unref();

  /** The signed async notify (trade_status_sync) for a trade, optionally for one of its refunds. */
  async function notify(t: Trade, refund?: Refund): Promise<Notify | null> {
    if (!t.notifyUrl) return null;
    const now = Date.now();
    const params: Record<string, string> = {
      notify_time: chinaTimestamp(now), notify_type: "trade_status_sync", notify_id: `${digits(8)}${randomBytes(12).toString("hex")}`,
      app_id: t.appId, auth_app_id: t.appId, charset: "utf-8", version: "1.0", sign_type: "RSA2",
      trade_no: t.tradeNo, out_trade_no: t.outTradeNo, buyer_id: t.buyerId ?? "", seller_id: state.sellerId, trade_status: t.status,
      total_amount: centsToYuan(t.totalCents), receipt_amount: centsToYuan(t.totalCents), buyer_pay_amount: centsToYuan(t.totalCents), invoice_amount: centsToYuan(t.totalCents),
      subject: t.subject, gmt_create: chinaTimestamp(t.createdAt), gmt_payment: t.paidAt ? chinaTimestamp(t.paidAt) : "",
      fund_bill_list: JSON.stringify([{ amount: centsToYuan(t.totalCents), fundChannel: "ALIPAYACCOUNT" }]),
      ...(t.passback ? { passback_params: t.passback } : {}),
      ...(refund ? { out_biz_no: refund.outRequestNo, refund_fee: centsToYuan(refundedCents(t)), gmt_refund: `${chinaTimestamp(refund.at)}.000` } : {}),
      ...(t.status === "TRADE_CLOSED" ? { gmt_close: chinaTimestamp(refund?.at ?? now) } : {}),
    };
    const n = { url: t.notifyUrl, body: new URLSearchParams(await signed(params)).toString() };
    if (!deliverNotify) outbox.push(n);
    return n;
  }

  /** The request's common params and signature checked as gateway.do does; the failing error key or the params. */
  async function checkRequest(p: Record<string, string>): Promise<{ error: string } | { biz: Record<string, unknown> }> {
    if (!p.sign) return { error: "missing-signature" };
    if (p.app_id !== state.app.appId) return { error: "invalid-app-id" };
    if (p.sign_type !== "RSA2" || !(await rsa2Verify(await appKey, signingString(p, ["sign"]), p.sign))) return { error: "invalid-signature" };
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(p.timestamp ?? "")) return { error: "invalid-timestamp" };
    try {
      const biz = JSON.parse(p.biz_content ?? "{}");
      return biz && typeof biz === "object" ? { biz } : { error: "invalid-biz" };
    } catch {
      return { error: "invalid-biz" };
    }
  }

  async function answer(c: Context, method: string, body: Record<string, unknown>, sign = true) {
    const key = `${method.replaceAll(".", "_")}_response`;
    const raw = JSON.stringify(body);
    const text = sign ? `{"${key}":${raw},"sign":"${await rsa2Sign(await alipayKey, raw)}"}` : `{"${key}":${raw}}`;
    return c.body(text, 200, { "content-type": "application/json;charset=utf-8" });
  }
  const ok = (extra: Record<string, unknown> = {}) => ({ code: "10000", msg: "Success", ...extra });
  const biz = (sub: string, msg: string) => ({ code: "40004", msg: "Business Failed", sub_code: sub, sub_msg: msg });

  const methods: Record<string, (b: Record<string, unknown>, origin: string) => Promise<Record<string, unknown>>> = {
    async "alipay.trade.query"(b) {
      const t = tradeOf(state.app.appId, b.out_trade_no);
      if (!t) return biz("ACQ.TRADE_NOT_EXIST", "交易不存在");
      return ok({
        trade_no: t.tradeNo, out_trade_no: t.outTradeNo, trade_status: t.status, total_amount: centsToYuan(t.totalCents),
        ...(t.paidAt ? { buyer_pay_amount: centsToYuan(t.totalCents), send_pay_date: chinaTimestamp(t.paidAt), buyer_user_id: t.buyerId, buyer_logon_id: "sbx***@alipay.com" } : {}),
      });
    },
    async "alipay.trade.close"(b) {
      const t = tradeOf(state.app.appId, b.out_trade_no);
      if (!t) return biz("ACQ.TRADE_NOT_EXIST", "交易不存在");
      if (t.status !== "WAIT_BUYER_PAY") return biz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
      t.status = "TRADE_CLOSED";
      persist();
      return ok({ trade_no: t.tradeNo, out_trade_no: t.outTradeNo });
    },
    async "alipay.trade.refund"(b) {
      const t = tradeOf(state.app.appId, b.out_trade_no);
      const cents = yuanToCents(String(b.refund_amount ?? ""));
      const requestNo = typeof b.out_request_no === "string" && b.out_request_no ? b.out_request_no : String(b.out_trade_no);
      if (!t) return biz("ACQ.TRADE_NOT_EXIST", "交易不存在");
      if (cents === null || cents <= 0) return biz("ACQ.INVALID_PARAMETER", "退款金额不合法");
      const prior = t.refunds.find((r) => r.outRequestNo === requestNo);
      const result = (fundChange: "Y" | "N") => ok({
        trade_no: t.tradeNo, out_trade_no: t.outTradeNo, buyer_logon_id: "sbx***@alipay.com", fund_change: fundChange,
        refund_fee: centsToYuan(refundedCents(t)), buyer_user_id: t.buyerId,
      });
      if (prior) return prior.cents === cents ? result("N") : biz("ACQ.REQUEST_AMOUNT_EXCEED", "同一退款请求号的金额与原请求不一致");
      if (!t.paidAt || (t.status === "TRADE_CLOSED" && refundedCents(t) === 0)) return biz("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
      if (refundedCents(t) + cents > t.totalCents) return biz("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
      const refund = { outRequestNo: requestNo, cents, feeCents: Math.round((t.feeCents * cents) / t.totalCents), at: Date.now(), reason: String(b.refund_reason ?? "") };
      t.refunds.push(refund);
      if (refundedCents(t) === t.totalCents) t.status = "TRADE_CLOSED";
      persist();
      const n = await notify(t, refund);
      if (n && deliverNotify) void post(n);
      return result("Y");
    },
    async "alipay.trade.fastpay.refund.query"(b) {
      const t = tradeOf(state.app.appId, b.out_trade_no);
      if (!t) return biz("ACQ.TRADE_NOT_EXIST", "交易不存在");
      const r = t.refunds.find((x) => x.outRequestNo === (b.out_request_no ?? b.out_trade_no));
      if (!r) return ok(); // an unknown request: success without the refund's fields, as Alipay answers
      return ok({
        trade_no: t.tradeNo, out_trade_no: t.outTradeNo, out_request_no: r.outRequestNo, total_amount: centsToYuan(t.totalCents),
        refund_amount: centsToYuan(r.cents), refund_status: "REFUND_SUCCESS", gmt_refund_pay: chinaTimestamp(r.at),
      });
    },
    async "alipay.data.dataservice.bill.downloadurl.query"(b, origin) {
      if (b.bill_type !== "trade" || typeof b.bill_date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(b.bill_date)) return biz("isp.bill_not_exist", "账单不存在");
      return ok({ bill_download_url: `${origin}/sandbox/bill/${state.app.appId}/${b.bill_date}.csv` });
    },
  };

  function cashierPage(t: Trade, error?: string) {
    const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    const open = t.status === "WAIT_BUYER_PAY";
    return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>支付宝 沙箱</title><style>body{margin:0;font:16px system-ui,sans-serif;background:#f5f5f5;color:#333}header{background:#1677ff;color:#fff;padding:14px 16px;font-weight:600}
main{padding:16px}.card{background:#fff;border-radius:12px;padding:20px;text-align:center}.amount{font-size:36px;font-weight:700;margin:12px 0}
button{width:100%;margin-top:20px;padding:14px;border:0;border-radius:8px;background:#1677ff;color:#fff;font-size:17px}.muted{color:#888;font-size:13px}a{color:#1677ff}</style></head>
<body><header>支付宝 沙箱</header><main><div class="card"><div>${esc(t.subject)}</div><div class="amount">¥${centsToYuan(t.totalCents)}</div>
<div class="muted">订单号 ${esc(t.outTradeNo)}</div>${error ? `<p role="alert">${esc(error)}</p>` : ""}
${open ? `<form method="post" action="/sandbox/wap/confirm"><input type="hidden" name="app_id" value="${esc(t.appId)}"><input type="hidden" name="out_trade_no" value="${esc(t.outTradeNo)}"><button type="submit">确认付款</button></form>` : `<p>${t.status === "TRADE_CLOSED" ? "交易已关闭" : "该订单已支付"}</p>`}
${t.quitUrl ? `<p><a href="${esc(t.quitUrl)}">取消付款</a></p>` : ""}<p class="muted">本地沙箱：不会产生真实扣款</p></div></main></body></html>`;
  }

  /** The buyer confirms: the trade is paid once; the notify is built (and posted or kept); the sync-return URL. */
  async function confirm(appId: string, outTradeNo: string, buyerId: string | undefined, postNotify: boolean) {
    const t = tradeOf(appId, outTradeNo);
    if (!t) return { error: "交易不存在" as const };
    if (t.status === "WAIT_BUYER_PAY" && t.expiresAt && Date.now() > t.expiresAt) t.status = "TRADE_CLOSED";
    if (t.status === "TRADE_CLOSED" && !t.paidAt) return { error: "交易已关闭" as const, trade: t };
    if (t.status === "WAIT_BUYER_PAY") {
      t.status = "TRADE_SUCCESS";
      t.paidAt = Date.now();
      t.buyerId = buyerId && /^2088\d{12}$/.test(buyerId) ? buyerId : `2088${digits(12)}`;
      persist();
    }
    const n = await notify(t);
    if (n && deliverNotify && postNotify) await post(n);
    const ret = await signed({
      charset: "utf-8", out_trade_no: t.outTradeNo, method: "alipay.trade.wap.pay.return", total_amount: centsToYuan(t.totalCents),
      trade_no: t.tradeNo, auth_app_id: t.appId, version: "1.0", app_id: t.appId, sign_type: "RSA2", seller_id: state.sellerId, timestamp: chinaTimestamp(Date.now()),
    });
    const returnUrl = t.returnUrl ? `${t.returnUrl}${t.returnUrl.includes("?") ? "&" : "?"}${new URLSearchParams(ret)}` : null;
    return { trade: t, notify: n, returnUrl };
  }

  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true, appId: state.app.appId }));
  app.get("/sandbox/merchant", (c) => c.json({
    appId: state.app.appId, appPrivateKeyPem: state.app.privateKeyPem, alipayPublicKeyPem: state.alipay.publicKeyPem, sellerId: state.sellerId,
    gatewayUrl: `${new URL(c.req.url).origin}/gateway.do`,
  }));

  // 手机网站支付: the browser arrives with the signed request in the query string.
  app.get("/gateway.do", async (c) => {
    const p = Object.fromEntries(new URL(c.req.url).searchParams);
    if (p.method !== "alipay.trade.wap.pay") return c.text("只有 alipay.trade.wap.pay 由浏览器打开", 400);
    const checked = await checkRequest(p);
    if ("error" in checked) return c.html(`<!doctype html><meta charset="utf-8"><title>支付宝 沙箱</title><p role="alert">错误代码 ${METHOD_ERROR[checked.error]![2]}：${METHOD_ERROR[checked.error]![3]}</p>`, 400);
    const b = checked.biz;
    const cents = yuanToCents(String(b.total_amount ?? ""));
    if (typeof b.out_trade_no !== "string" || !b.out_trade_no || cents === null || cents <= 0 || b.product_code !== "QUICK_WAP_WAY") {
      return c.html(`<!doctype html><meta charset="utf-8"><p role="alert">错误代码 isv.invalid-parameter：参数无效</p>`, 400);
    }
    let t = tradeOf(p.app_id!, b.out_trade_no);
    if (t && t.totalCents !== cents) return c.html(`<!doctype html><meta charset="utf-8"><p role="alert">错误代码 ACQ.CONTEXT_INCONSISTENT：交易信息被篡改</p>`, 400);
    if (!t) {
      const expires = typeof b.time_expire === "string" ? Date.parse(`${b.time_expire.replace(" ", "T")}+08:00`) : NaN;
      t = {
        appId: p.app_id!, tradeNo: `${chinaTimestamp(Date.now()).slice(0, 10).replace(/-/g, "")}22001${digits(15)}`, outTradeNo: b.out_trade_no,
        subject: String(b.subject ?? "商品"), totalCents: cents, feeCents: feeOf(cents), status: "WAIT_BUYER_PAY", createdAt: Date.now(),
        expiresAt: Number.isNaN(expires) ? undefined : expires, notifyUrl: p.notify_url, returnUrl: p.return_url,
        quitUrl: typeof b.quit_url === "string" ? b.quit_url : undefined, passback: typeof b.passback_params === "string" ? b.passback_params : undefined, refunds: [],
      };
      state.trades[`${t.appId}:${t.outTradeNo}`] = t;
      persist();
    }
    return c.html(cashierPage(t));
  });

  // 确认付款. `?notify=return` (tests): answer JSON with the notify instead of posting it and redirecting.
  app.post("/sandbox/wap/confirm", async (c) => {
    const form = await c.req.parseBody();
    const returnNotify = c.req.query("notify") === "return";
    const done = await confirm(String(form.app_id ?? state.app.appId), String(form.out_trade_no ?? ""), typeof form.buyer_id === "string" ? form.buyer_id : undefined, !returnNotify);
    if (returnNotify) return c.json(done, "error" in done ? 409 : 200);
    if ("error" in done) return done.trade ? c.html(cashierPage(done.trade, done.error), 409) : c.text(done.error, 404);
    return done.returnUrl ? c.redirect(done.returnUrl, 302) : c.html(cashierPage(done.trade));
  });

  app.post("/gateway.do", async (c) => {
    const p: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...Object.fromEntries(new URL(c.req.url).searchParams), ...(await c.req.parseBody()) })) if (typeof v === "string") p[k] = v;
    const method = p.method ?? "";
    const handler = methods[method];
    if (!handler) return answer(c, "error", errorBody("invalid-method"), false);
    const checked = await checkRequest(p);
    if ("error" in checked) return answer(c, method, errorBody(checked.error), false);
    return answer(c, method, await handler(checked.biz, new URL(c.req.url).origin));
  });

  app.get("/sandbox/bill/:appId/:file", (c) => {
    const day = c.req.param("file").replace(/\.csv$/, "");
    const [from, to] = [Date.parse(`${day}T00:00:00+08:00`), Date.parse(`${day}T00:00:00+08:00`) + 86_400_000];
    const within = (ms?: number) => ms !== undefined && ms >= from && ms < to;
    const entries: (BillEntry & { ms: number })[] = [];
    for (const t of Object.values(state.trades)) {
      if (t.appId !== c.req.param("appId")) continue;
      const base = { tradeNo: t.tradeNo, outTradeNo: t.outTradeNo, subject: t.subject, createdAt: chinaTimestamp(t.createdAt), buyer: t.buyerId ?? "", totalYuan: centsToYuan(t.totalCents) };
      if (within(t.paidAt)) entries.push({ ...base, kind: "交易", finishedAt: chinaTimestamp(t.paidAt!), receivedYuan: centsToYuan(t.totalCents), requestNo: "", feeYuan: centsToYuan(-t.feeCents), ms: t.paidAt! });
      for (const r of t.refunds) if (within(r.at)) entries.push({ ...base, kind: "退款", finishedAt: chinaTimestamp(r.at), receivedYuan: centsToYuan(-r.cents), requestNo: r.outRequestNo, feeYuan: centsToYuan(r.feeCents), ms: r.at });
    }
    entries.sort((a, b) => a.ms - b.ms);
    return c.body(formatAlipayBill(state.sellerId, day, entries, chinaTimestamp(Date.now())), 200, { "content-type": "text/csv; charset=utf-8" });
  });

  // Testing aids (not Alipay's): notifies kept for a trade; a notify signed with the sandbox's Alipay key whatever it says.
  app.get("/sandbox/outbox/:outTradeNo", (c) => c.json(outbox.filter((n) => new URLSearchParams(n.body).get("out_trade_no") === c.req.param("outTradeNo"))));
  app.post("/sandbox/sign-notify", async (c) => {
    const params = (await c.req.json()) as Record<string, string>;
    return c.text(new URLSearchParams(await signed(params)).toString());
  });
  return app;
}

function errorBody(key: string) {
  const [code, msg, sub_code, sub_msg] = METHOD_ERROR[key]!;
  return { code, msg, sub_code, sub_msg };
}
