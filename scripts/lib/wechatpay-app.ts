/**
 * The WeChat Pay API v3 sandbox: the same protocol as api.mch.weixin.qq.com with its own test keys. It verifies each
 * merchant request's WECHATPAY2-SHA256-RSA2048 signature (401 SIGN_ERROR otherwise), signs every answer with its
 * platform key, serves the H5 cashier at h5_url, posts signed AEAD_AES_256_GCM notifications (TRANSACTION.SUCCESS,
 * REFUND.SUCCESS) to notify_url with retries, settles refunds after a delay, and issues the trade bill.
 * Test merchants may hold their notifications (deliver: "hold") for a test to post them itself.
 */
import { Hono, type Context } from "hono";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { escapeHtml } from "../../worker/domain/product-html";
import { formatTradeBill, isoToChinaTime, yuan, type BillEntry } from "../../worker/payments/wechatpay/bill";
import {
  encryptResource, gatewaySignatureHeaders, importPrivateKey, importPublicKey, MAX_SKEW_SECONDS, parseAuthorization, requestSigningString, rsaVerify, sha1Hex, toPem,
} from "../../worker/payments/wechatpay/crypto";
import { chinaRfc3339 } from "../../worker/payments/wechatpay/index";

interface KeyPair { serialNo: string; privatePem: string; publicPem: string }
interface Merchant { mchId: string; appId: string; key: KeyPair; apiV3Key: string; deliver: "post" | "hold"; refundDelayMs: number | null }
interface Charge {
  mchid: string; appid: string; out_trade_no: string; description: string; attach: string; notify_url: string; total: number; currency: string;
  time_expire?: string; prepay_id: string; trade_state: "NOTPAY" | "SUCCESS" | "CLOSED" | "REFUND"; transaction_id?: string; openid?: string; success_time?: string; created_at: string;
}
interface Refund {
  mchid: string; out_trade_no: string; transaction_id: string; out_refund_no: string; refund_id: string; reason: string; notify_url: string;
  refund: number; total: number; status: "PROCESSING" | "SUCCESS" | "ABNORMAL"; create_time: string; success_time?: string;
}
interface State {
  platform: KeyPair; merchants: Record<string, Merchant>; charges: Record<string, Charge>; refunds: Record<string, Refund>;
  /** Notifications not acknowledged yet, each with its next try: WeChat keeps retrying across our restarts. */
  retries?: (Notification & { attempt: number; dueAt: number })[];
}
export interface Notification { url: string; headers: Record<string, string>; body: string }

const SANDBOX_MCHID = "1900000109";
const rand = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");

async function keyPair(): Promise<KeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    serialNo: rand(20).toUpperCase(),
    privatePem: toPem((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer, "PRIVATE KEY"),
    publicPem: toPem((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer, "PUBLIC KEY"),
  };
}

async function newMerchant(mchId: string, deliver: Merchant["deliver"], refundDelayMs: number | null): Promise<Merchant> {
  return { mchId, appId: `wx${rand(8)}`, key: await keyPair(), apiV3Key: rand(16), deliver, refundDelayMs };
}

export interface WechatPayAppOptions {
  /** JSON file keeping keys and books across restarts (npm start); memory only without. */
  stateFile?: string;
  now?: () => number;
  fetch?: typeof fetch;
  /** Notification retries after a non-2xx answer, and the pause before each. */
  retryDelaysMs?: number[];
}

export async function createWechatPayApp(opts: WechatPayAppOptions = {}) {
  const now = opts.now ?? Date.now;
  const post = opts.fetch ?? fetch;
  const retryDelays = opts.retryDelaysMs ?? [1_000, 3_000, 10_000];
  const loaded: State | null = opts.stateFile && existsSync(opts.stateFile) ? JSON.parse(readFileSync(opts.stateFile, "utf8")) : null;
  const state: State = loaded ?? { platform: await keyPair(), merchants: {}, charges: {}, refunds: {} };
  if (!state.merchants[SANDBOX_MCHID]) state.merchants[SANDBOX_MCHID] = await newMerchant(SANDBOX_MCHID, "post", 1_500);
  const save = () => {
    if (!opts.stateFile) return;
    mkdirSync(dirname(opts.stateFile), { recursive: true });
    writeFileSync(opts.stateFile, JSON.stringify(state));
  };
  save();
  const platformKey = await importPrivateKey(state.platform.privatePem);
  const merchantKeys = new Map<string, Promise<CryptoKey>>();
  const merchantKey = (m: Merchant) => merchantKeys.get(m.mchId) ?? merchantKeys.set(m.mchId, importPublicKey(m.key.publicPem)).get(m.mchId)!;
  const held = new Map<string, Notification[]>();
  const bills = new Map<string, { mchid: string; text: string }>();
  const seconds = () => Math.floor(now() / 1000);

  /** Every answer is signed with the platform key, as WeChat does. */
  async function signed(c: Context, status: number, data?: unknown) {
    const body = data === undefined ? "" : JSON.stringify(data);
    const headers = { ...(await gatewaySignatureHeaders(platformKey, state.platform.serialNo, body, seconds())), "Request-ID": rand(16), ...(body ? { "Content-Type": "application/json" } : {}) };
    return body ? c.body(body, status as 200, headers) : c.body(null, status as 204, headers);
  }
  const fail = (c: Context, status: number, code: string, message: string) => signed(c, status, { code, message });

  function credentials(m: Merchant) {
    return {
      mchId: m.mchId, appId: m.appId, merchantSerialNo: m.key.serialNo, merchantPrivateKeyPem: m.key.privatePem, apiV3Key: m.apiV3Key,
      platformSerialNo: state.platform.serialNo, platformPublicKeyPem: state.platform.publicPem,
    };
  }

  async function notification(m: Merchant, url: string, eventType: string, originalType: string, resource: object, summary: string, atSeconds = seconds()): Promise<Notification> {
    const event = {
      id: crypto.randomUUID(), create_time: chinaRfc3339(atSeconds * 1000), resource_type: "encrypt-resource", event_type: eventType, summary,
      resource: await encryptResource(m.apiV3Key, JSON.stringify(resource), originalType, originalType),
    };
    const body = JSON.stringify(event);
    return { url, body, headers: { "Content-Type": "application/json", ...(await gatewaySignatureHeaders(platformKey, state.platform.serialNo, body, atSeconds)) } };
  }

  /** Posts a notification until the merchant answers 2xx (a few tries), or holds it for a test to take. */
  async function deliver(m: Merchant, n: Notification) {
    if (m.deliver === "hold") {
      held.set(m.mchId, [...(held.get(m.mchId) ?? []), n]);
      return;
    }
    await postUntilAcknowledged(n, 0);
  }

  async function postUntilAcknowledged(n: Notification, first: number) {
    for (let attempt = first; attempt <= retryDelays.length; attempt++) {
      const res = await post(n.url, { method: "POST", headers: n.headers, body: n.body }).catch(() => null);
      const acknowledged = !!res && res.status >= 200 && res.status < 300;
      const retries = (state.retries ??= []).filter((r) => r.body !== n.body);
      const again = !acknowledged && attempt < retryDelays.length;
      if (again) retries.push({ ...n, attempt: attempt + 1, dueAt: now() + retryDelays[attempt]! });
      if (again || retries.length !== state.retries.length) {
        state.retries = retries;
        save();
      }
      if (acknowledged) return;
      // Not holding the process open: a sandbox stopped mid-wait resumes from its state file.
      if (again) await new Promise((r) => setTimeout(r, retryDelays[attempt]!).unref());
    }
    console.warn(`wechatpay sandbox: ${n.url} never acknowledged a notification`);
  }

  const transaction = (ch: Charge) => ({
    appid: ch.appid, mchid: ch.mchid, out_trade_no: ch.out_trade_no, transaction_id: ch.transaction_id ?? "", trade_type: "MWEB", trade_state: ch.trade_state,
    trade_state_desc: { NOTPAY: "未支付", SUCCESS: "支付成功", CLOSED: "已关闭", REFUND: "转入退款" }[ch.trade_state], bank_type: ch.transaction_id ? "OTHERS" : "",
    attach: ch.attach, success_time: ch.success_time, payer: { openid: ch.openid ?? "" },
    amount: { total: ch.total, payer_total: ch.trade_state === "NOTPAY" || ch.trade_state === "CLOSED" ? 0 : ch.total, currency: ch.currency, payer_currency: ch.currency },
  });
  const refundView = (r: Refund) => ({
    refund_id: r.refund_id, out_refund_no: r.out_refund_no, transaction_id: r.transaction_id, out_trade_no: r.out_trade_no, channel: "ORIGINAL",
    user_received_account: "支付用户零钱", success_time: r.success_time, create_time: r.create_time, status: r.status, funds_account: "AVAILABLE",
    amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund, settlement_refund: r.refund, settlement_total: r.total, discount_refund: 0, currency: "CNY" },
  });
  const expired = (ch: Charge) => ch.trade_state === "NOTPAY" && !!ch.time_expire && Date.parse(ch.time_expire) < now();

  /** Ends a PROCESSING refund: SUCCESS, or ABNORMAL (the buyer's card can no longer take it; the money stays with the merchant). */
  async function settleRefund(r: Refund, outcome: "SUCCESS" | "ABNORMAL" = "SUCCESS") {
    if (r.status !== "PROCESSING") return;
    if (outcome === "ABNORMAL") {
      r.status = "ABNORMAL";
      save();
      const m = state.merchants[r.mchid]!;
      await deliver(m, await notification(m, r.notify_url, "REFUND.ABNORMAL", "refund", {
        mchid: r.mchid, out_trade_no: r.out_trade_no, transaction_id: r.transaction_id, out_refund_no: r.out_refund_no, refund_id: r.refund_id,
        refund_status: "ABNORMAL", user_received_account: "支付用户银行卡",
        amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund },
      }, "退款异常"));
      return;
    }
    r.status = "SUCCESS";
    r.success_time = chinaRfc3339(now());
    const ch = state.charges[`${r.mchid}:${r.out_trade_no}`]!;
    ch.trade_state = "REFUND";
    save();
    const m = state.merchants[r.mchid]!;
    await deliver(m, await notification(m, r.notify_url, "REFUND.SUCCESS", "refund", {
      mchid: r.mchid, out_trade_no: r.out_trade_no, transaction_id: r.transaction_id, out_refund_no: r.out_refund_no, refund_id: r.refund_id,
      refund_status: "SUCCESS", success_time: r.success_time, user_received_account: "支付用户零钱",
      amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund },
    }, "退款成功"));
  }

  // What a restart interrupted goes on when it was due: notifications being retried, refunds being processed.
  for (const r of state.retries ?? []) setTimeout(() => void postUntilAcknowledged(r, r.attempt), Math.max(0, r.dueAt - now())).unref();
  for (const r of Object.values(state.refunds)) {
    const delay = state.merchants[r.mchid]?.refundDelayMs;
    if (r.status === "PROCESSING" && delay != null) setTimeout(() => void settleRefund(r), Math.max(0, Date.parse(r.create_time) + delay - now())).unref();
  }

  const app = new Hono<{ Variables: { merchant: Merchant; raw: string } }>();
  app.get("/health", (c) => c.json({ ok: true, merchants: Object.keys(state.merchants).length }));

  // ---- sandbox controls (not part of WeChat's API) ----
  app.get("/sandbox/merchant", (c) => c.json({ ...credentials(state.merchants[SANDBOX_MCHID]!), gatewayUrl: new URL(c.req.url).origin }));
  /** A fresh test merchant with its own books; deliver "hold" keeps notifications for GET …/notifications; refundDelayMs null = settle on demand. */
  app.post("/sandbox/merchants", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { deliver?: "post" | "hold"; refundDelayMs?: number | null };
    let mchId = `19${digits(8)}`;
    while (state.merchants[mchId]) mchId = `19${digits(8)}`;
    const m = (state.merchants[mchId] = await newMerchant(mchId, body.deliver === "hold" ? "hold" : "post", body.refundDelayMs === undefined ? 1_500 : body.refundDelayMs));
    save();
    return c.json({ ...credentials(m), gatewayUrl: new URL(c.req.url).origin });
  });
  /** Takes the held notifications of a merchant (oldest first). */
  app.get("/sandbox/merchants/:mchid/notifications", (c) => {
    const list = held.get(c.req.param("mchid")) ?? [];
    held.delete(c.req.param("mchid"));
    return c.json({ notifications: list });
  });
  app.post("/sandbox/merchants/:mchid/refunds/:no/settle", async (c) => {
    const r = state.refunds[`${c.req.param("mchid")}:${c.req.param("no")}`];
    if (!r) return c.json({ code: "RESOURCE_NOT_EXISTS", message: "退款单不存在" }, 404);
    const body = (await c.req.json().catch(() => ({}))) as { status?: string };
    await settleRefund(r, body.status === "ABNORMAL" ? "ABNORMAL" : "SUCCESS");
    return c.json(refundView(r));
  });
  /** Signs any body as the platform would, at any time (tests: a forged resource, a replayed notification). */
  app.post("/sandbox/sign", async (c) => {
    const { body, timestamp } = (await c.req.json()) as { body: string; timestamp?: number };
    return c.json({ headers: { "Content-Type": "application/json", ...(await gatewaySignatureHeaders(platformKey, state.platform.serialNo, body, timestamp ?? seconds())) } });
  });

  // ---- the H5 cashier (what h5_url opens in the phone's browser) ----
  const chargeOfPrepay = (prepayId: string | undefined) => Object.values(state.charges).find((ch) => ch.prepay_id === prepayId);
  const page = (title: string, inner: string) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>${title}</title>
<style>body{margin:0;font-family:system-ui,-apple-system,"PingFang SC",sans-serif;background:#ededed;color:#111}header{background:#07c160;color:#fff;padding:14px 16px;font-size:17px;font-weight:600}
main{padding:24px 16px;text-align:center}.amount{font-size:40px;font-weight:600;margin:12px 0 4px}.muted{color:#888;font-size:14px}.card{background:#fff;border-radius:8px;padding:20px 16px;margin:16px 0;text-align:left;font-size:15px}
.row{display:flex;justify-content:space-between;padding:6px 0}button{width:100%;padding:14px;border:0;border-radius:8px;background:#07c160;color:#fff;font-size:17px;font-weight:600}.tag{display:inline-block;border:1px solid #fa9d3b;color:#fa9d3b;border-radius:4px;padding:0 6px;font-size:12px;margin-left:6px}</style></head>
<body><header>微信支付 沙箱<span class="tag">SANDBOX</span></header><main>${inner}</main></body></html>`;

  app.get("/h5/checkmweb", (c) => {
    const ch = chargeOfPrepay(c.req.query("prepay_id"));
    if (!ch) return c.html(page("微信支付", `<p>订单不存在或已失效</p>`), 404);
    const m = state.merchants[ch.mchid]!;
    const e = escapeHtml;
    const closed = ch.trade_state === "CLOSED" || expired(ch);
    const paid = ch.trade_state !== "NOTPAY" && !closed;
    return c.html(page("微信支付", `<div class="muted">${e(ch.description)}</div><div class="amount" data-amount>¥${yuan(ch.total)}</div>
<div class="card"><div class="row"><span class="muted">收款方</span><span>商户 ${e(m.mchId)}</span></div><div class="row"><span class="muted">商户单号</span><span>${e(ch.out_trade_no)}</span></div></div>
${closed ? `<p data-state="closed">订单已关闭，无法支付</p>` : paid ? `<p data-state="paid">订单已支付</p>` : `<form method="post" action="/h5/pay"><input type="hidden" name="prepay_id" value="${e(ch.prepay_id)}"><input type="hidden" name="redirect_url" value="${e(c.req.query("redirect_url") ?? "")}"><button type="submit">确认支付</button></form>`}
<p class="muted">这是本地沙箱，不会产生真实扣款</p>`));
  });

  app.post("/h5/pay", async (c) => {
    const form = await c.req.parseBody();
    const ch = chargeOfPrepay(String(form.prepay_id ?? ""));
    if (!ch) return c.html(page("微信支付", `<p>订单不存在</p>`), 404);
    if (ch.trade_state === "CLOSED" || expired(ch)) return c.html(page("微信支付", `<p data-state="closed">订单已关闭，无法支付</p>`), 409);
    const m = state.merchants[ch.mchid]!;
    if (ch.trade_state === "NOTPAY") {
      Object.assign(ch, { trade_state: "SUCCESS", transaction_id: `42000${digits(23)}`, openid: `oSbx${rand(12)}`, success_time: chinaRfc3339(now()) });
      save();
      const n = await notification(m, ch.notify_url, "TRANSACTION.SUCCESS", "transaction", transaction(ch), "支付成功");
      void deliver(m, n);
    }
    const back = String(form.redirect_url ?? "");
    return back ? c.redirect(back, 303) : c.html(page("微信支付", `<p data-state="paid">支付成功</p>`));
  });

  // ---- API v3: every call signed by the merchant ----
  app.use("/v3/*", async (c, next) => {
    const raw = c.req.method === "GET" ? "" : await c.req.text();
    const auth = parseAuthorization(c.req.header("authorization") ?? null);
    const m = auth && state.merchants[auth.mchid];
    const url = new URL(c.req.url);
    const ok = !!m && auth.serial_no === m.key.serialNo && Math.abs(seconds() - Number(auth.timestamp)) <= MAX_SKEW_SECONDS &&
      (await rsaVerify(await merchantKey(m), requestSigningString(c.req.method, `${url.pathname}${url.search}`, auth.timestamp, auth.nonce_str, raw), auth.signature));
    if (!ok) return fail(c, 401, "SIGN_ERROR", "签名错误，请检查后再试");
    c.set("merchant", m);
    c.set("raw", raw);
    await next();
  });
  const jsonOf = (c: Context) => {
    try {
      return JSON.parse(c.get("raw")) as Record<string, any>;
    } catch {
      return null;
    }
  };

  app.post("/v3/pay/transactions/h5", async (c) => {
    const m = c.get("merchant");
    const b = jsonOf(c);
    if (!b || b.mchid !== m.mchId || b.appid !== m.appId) return fail(c, 400, "PARAM_ERROR", "appid和mch_id不匹配");
    const total = b.amount?.total;
    if (!b.out_trade_no || !b.description || !/^https?:\/\//.test(b.notify_url ?? "") || !Number.isInteger(total) || total <= 0 || !b.scene_info?.payer_client_ip || !b.scene_info?.h5_info?.type) {
      return fail(c, 400, "PARAM_ERROR", "参数错误");
    }
    const key = `${m.mchId}:${b.out_trade_no}`;
    let ch = state.charges[key];
    if (ch && ch.trade_state === "SUCCESS") return fail(c, 400, "ORDERPAID", "该订单已支付");
    if (ch && (ch.trade_state === "CLOSED" || ch.trade_state === "REFUND")) return fail(c, 400, "ORDER_CLOSED", "订单已关闭");
    if (ch && ch.total !== total) return fail(c, 400, "INVALID_REQUEST", "201 商户订单号重复");
    ch ??= state.charges[key] = {
      mchid: m.mchId, appid: m.appId, out_trade_no: b.out_trade_no, description: String(b.description), attach: String(b.attach ?? ""), notify_url: b.notify_url, total,
      currency: b.amount.currency ?? "CNY", time_expire: b.time_expire, prepay_id: `wx${rand(16)}`, trade_state: "NOTPAY", created_at: new Date(now()).toISOString(),
    };
    Object.assign(ch, { notify_url: b.notify_url, time_expire: b.time_expire, description: String(b.description) });
    save();
    const origin = new URL(c.req.url).origin;
    return signed(c, 200, { h5_url: `${origin}/h5/checkmweb?prepay_id=${ch.prepay_id}&package=${rand(5)}` });
  });

  app.get("/v3/pay/transactions/out-trade-no/:no", (c) => {
    const m = c.get("merchant");
    if (c.req.query("mchid") !== m.mchId) return fail(c, 400, "PARAM_ERROR", "mchid错误");
    const ch = state.charges[`${m.mchId}:${c.req.param("no")}`];
    if (!ch) return fail(c, 404, "ORDER_NOT_EXIST", "订单不存在");
    if (expired(ch)) (ch.trade_state = "CLOSED"), save();
    return signed(c, 200, transaction(ch));
  });

  app.post("/v3/pay/transactions/out-trade-no/:no/close", (c) => {
    const m = c.get("merchant");
    const ch = state.charges[`${m.mchId}:${c.req.param("no")}`];
    if (jsonOf(c)?.mchid !== m.mchId) return fail(c, 400, "PARAM_ERROR", "mchid错误");
    if (!ch) return fail(c, 404, "ORDER_NOT_EXIST", "订单不存在");
    if (ch.trade_state === "SUCCESS" || ch.trade_state === "REFUND") return fail(c, 400, "ORDERPAID", "订单已支付");
    ch.trade_state = "CLOSED";
    save();
    return signed(c, 204);
  });

  app.post("/v3/refund/domestic/refunds", async (c) => {
    const m = c.get("merchant");
    const b = jsonOf(c);
    const refund = b?.amount?.refund;
    if (!b?.out_trade_no || !b.out_refund_no || !Number.isInteger(refund) || refund <= 0) return fail(c, 400, "PARAM_ERROR", "参数错误");
    const prior = state.refunds[`${m.mchId}:${b.out_refund_no}`];
    if (prior) return signed(c, 200, refundView(prior));
    const ch = state.charges[`${m.mchId}:${b.out_trade_no}`];
    if (!ch) return fail(c, 404, "RESOURCE_NOT_EXISTS", "订单不存在");
    if (ch.trade_state !== "SUCCESS" && ch.trade_state !== "REFUND") return fail(c, 400, "INVALID_REQUEST", "订单未支付");
    if (b.amount.total !== ch.total) return fail(c, 400, "INVALID_REQUEST", "订单金额与原订单不符");
    const already = Object.values(state.refunds).filter((r) => r.mchid === m.mchId && r.out_trade_no === ch.out_trade_no && r.status !== "ABNORMAL").reduce((s, r) => s + r.refund, 0);
    if (already + refund > ch.total) return fail(c, 403, "NOT_ENOUGH", "可退金额不足");
    const r: Refund = state.refunds[`${m.mchId}:${b.out_refund_no}`] = {
      mchid: m.mchId, out_trade_no: ch.out_trade_no, transaction_id: ch.transaction_id!, out_refund_no: b.out_refund_no, refund_id: `50000${digits(24)}`,
      reason: String(b.reason ?? ""), notify_url: b.notify_url || ch.notify_url, refund, total: ch.total, status: "PROCESSING", create_time: chinaRfc3339(now()),
    };
    save();
    if (m.refundDelayMs !== null) setTimeout(() => void settleRefund(r), m.refundDelayMs);
    return signed(c, 200, refundView(r));
  });

  app.get("/v3/refund/domestic/refunds/:no", (c) => {
    const r = state.refunds[`${c.get("merchant").mchId}:${c.req.param("no")}`];
    return r ? signed(c, 200, refundView(r)) : fail(c, 404, "RESOURCE_NOT_EXISTS", "退款单不存在");
  });

  app.get("/v3/bill/tradebill", async (c) => {
    const m = c.get("merchant");
    const day = c.req.query("bill_date") ?? "";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || (c.req.query("bill_type") ?? "ALL") !== "ALL") return fail(c, 400, "PARAM_ERROR", "bill_date 格式 YYYY-MM-DD");
    const onDay = (rfc: string | undefined) => !!rfc && isoToChinaTime(new Date(Date.parse(rfc)).toISOString()).startsWith(day);
    const fee = (cents: number) => Math.round(cents * 0.006);
    const entries: (BillEntry & { sort: number })[] = [];
    for (const ch of Object.values(state.charges)) {
      if (ch.mchid !== m.mchId || !onDay(ch.success_time)) continue;
      entries.push({ sort: Date.parse(ch.success_time!), at: new Date(Date.parse(ch.success_time!)).toISOString(), appId: ch.appid, mchId: ch.mchid, transactionId: ch.transaction_id!, outTradeNo: ch.out_trade_no, openid: ch.openid!, state: "SUCCESS", totalCents: ch.total, description: ch.description, attach: ch.attach, feeCents: fee(ch.total) });
    }
    for (const r of Object.values(state.refunds)) {
      if (r.mchid !== m.mchId || r.status !== "SUCCESS" || !onDay(r.success_time)) continue;
      const ch = state.charges[`${r.mchid}:${r.out_trade_no}`]!;
      entries.push({
        sort: Date.parse(r.success_time!), at: new Date(Date.parse(r.success_time!)).toISOString(), appId: ch.appid, mchId: ch.mchid, transactionId: ch.transaction_id!, outTradeNo: ch.out_trade_no, openid: ch.openid!,
        state: "REFUND", totalCents: ch.total, refundId: r.refund_id, outRefundNo: r.out_refund_no, refundCents: r.refund, refundStatus: "SUCCESS", description: ch.description, attach: ch.attach,
        feeCents: Math.round((fee(ch.total) * r.refund) / ch.total),
      });
    }
    if (!entries.length) return fail(c, 400, "NO_STATEMENT_EXIST", "该日期无账单");
    const text = formatTradeBill(entries.sort((a, b) => a.sort - b.sort));
    const token = rand(16);
    bills.set(token, { mchid: m.mchId, text });
    return signed(c, 200, { hash_type: "SHA1", hash_value: await sha1Hex(text), download_url: `${new URL(c.req.url).origin}/v3/billdownload/file?token=${token}` });
  });

  app.get("/v3/billdownload/file", (c) => {
    const bill = bills.get(c.req.query("token") ?? "");
    if (!bill || bill.mchid !== c.get("merchant").mchId) return fail(c, 400, "INVALID_REQUEST", "token 无效");
    // The file itself is not signed; the merchant checks it against hash_value.
    return c.body(bill.text, 200, { "Content-Type": "text/plain; charset=utf-8" });
  });

  return { app, state };
}
