/**
 * WeChat Pay API v3 (H5 payments, 微信支付平台公钥 mode). Our payment id is out_trade_no, our refund id out_refund_no,
 * our order id travels in `attach`. Every gateway answer and notification is signature-checked; notifications are
 * decrypted with the APIv3 key; the gateway's query, not the notification, decides whether an order is paid.
 */
import type { WechatPayAccount } from "../../../schema/payments";
import type { ProviderContext } from "../provider-registry";
import type { GatewayCharge, PaymentProvider, RefundResult, RefundState, VerifyResult } from "../provider";
import { parseTradeBill } from "./bill";
import { wechatPayClient, WechatPayError } from "./client";
import { decryptResource, sha1Hex, verifyGatewaySignature, type EncryptedResource } from "./crypto";

const CHARGE_STATES: Record<string, GatewayCharge["state"]> = {
  SUCCESS: "paid", NOTPAY: "unpaid", USERPAYING: "unpaid", PAYERROR: "unpaid", CLOSED: "closed", REVOKED: "closed", REFUND: "refunded",
};
const REFUND_EVENTS: Record<string, string> = { "REFUND.SUCCESS": "SUCCESS", "REFUND.ABNORMAL": "ABNORMAL", "REFUND.CLOSED": "CLOSED" };
const REFUND_STATES: Record<string, RefundState> = { SUCCESS: "succeeded", PROCESSING: "processing", ABNORMAL: "failed", CLOSED: "failed" };
// How long a buyer has at the H5 cashier (the order itself lapses on its own clock).
const PAY_WINDOW_MS = 30 * 60_000;

interface Transaction {
  mchid: string; appid?: string; out_trade_no: string; transaction_id?: string; trade_state: string; attach?: string;
  amount?: { total: number; currency?: string; payer_total?: number }; payer?: { openid?: string };
}
interface Refund {
  mchid?: string; out_trade_no: string; out_refund_no: string; refund_id: string; status?: string; refund_status?: string;
  amount: { refund: number; total: number; currency?: string };
}

/** RFC 3339 in China time, as WeChat writes it (2026-11-30T20:15:00+08:00). */
export const chinaRfc3339 = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
const enc = encodeURIComponent;

export function wechatPayProvider(account: WechatPayAccount, ctx: ProviderContext): PaymentProvider {
  const client = wechatPayClient(account, ctx.fetch, ctx.now);
  const nowSeconds = () => Math.floor(ctx.now() / 1000);

  return {
    name: "wechatpay",
    label: "微信支付",
    async startPayment(payment, start) {
      const { data } = await client.call<{ h5_url: string }>("POST", "/v3/pay/transactions/h5", {
        appid: account.appId,
        mchid: account.mchId,
        description: start.title.slice(0, 127),
        out_trade_no: payment.id,
        time_expire: chinaRfc3339(ctx.now() + PAY_WINDOW_MS),
        attach: payment.order_id,
        notify_url: ctx.notifyUrl,
        amount: { total: payment.amount_cents, currency: payment.currency || "CNY" },
        scene_info: { payer_client_ip: start.clientIp || "127.0.0.1", h5_info: { type: "Wap" } },
      });
      // After paying, WeChat sends the browser to redirect_url (WeChat's own H5 rule: appended, URL-encoded).
      return { redirectUrl: `${data.h5_url}${data.h5_url.includes("?") ? "&" : "?"}redirect_url=${enc(start.returnUrl)}` };
    },

    async verifyCallback(rawBody, headers): Promise<VerifyResult> {
      const check = await verifyGatewaySignature(await client.platformKey, account.platformSerialNo, headers, rawBody, nowSeconds());
      if (!check.ok) return { ok: false, code: check.code, message: check.message };
      let event: { event_type?: string; resource?: EncryptedResource };
      try {
        event = JSON.parse(rawBody);
      } catch {
        return { ok: false, code: "invalid_body", message: "Notification body is not JSON" };
      }
      if (!event.resource?.ciphertext || !event.resource.nonce) return { ok: false, code: "invalid_body", message: "Notification has no encrypted resource" };
      let plain: string;
      try {
        plain = await decryptResource(account.apiV3Key, event.resource);
      } catch {
        return { ok: false, code: "decrypt_failed", message: "The resource does not decrypt with the APIv3 key (tampered or another merchant's)" };
      }
      const resource = JSON.parse(plain) as Transaction & Refund;
      // Decrypted with this account's APIv3 key, the resource must still be this account's: its merchant (every
      // notice names mchid) and, for a payment, its app. Anything else is another merchant's (or app's) money.
      const paymentId = typeof resource.out_trade_no === "string" ? resource.out_trade_no : undefined;
      if (resource.mchid !== account.mchId) return { ok: false, code: "wrong_merchant", message: "Notification for another merchant (mchid)", paymentId };
      if (event.event_type === "TRANSACTION.SUCCESS") {
        if (resource.appid !== account.appId) return { ok: false, code: "wrong_app", message: "Notification for another app (appid)", paymentId };
        if (resource.trade_state !== "SUCCESS" || !resource.transaction_id || !resource.amount) return { ok: false, code: "invalid_body", message: "Not a successful transaction" };
        return {
          ok: true,
          notice: {
            type: "payment.succeeded", gatewayTxnId: resource.transaction_id, paymentId: resource.out_trade_no, orderId: resource.attach ?? "",
            amountCents: resource.amount.total, currency: resource.amount.currency ?? "CNY", payerAccount: resource.payer?.openid,
          },
        };
      }
      // A refund's notice, whatever its outcome (REFUND.ABNORMAL / REFUND.CLOSED too): it is a hint, and the outcome
      // recorded is what queryRefund says (services/refunds.ts refundNotice).
      if (event.event_type && Object.hasOwn(REFUND_EVENTS, event.event_type)) {
        if (resource.refund_status !== REFUND_EVENTS[event.event_type]) return { ok: false, code: "invalid_body", message: "The refund's status does not match its notice" };
        return {
          ok: true,
          notice: {
            type: "refund.succeeded", gatewayTxnId: resource.refund_id, paymentId: resource.out_trade_no, orderId: "",
            amountCents: resource.amount.refund, currency: "CNY", refundId: resource.out_refund_no, refundRef: resource.refund_id,
          },
        };
      }
      return { ok: false, code: "unsupported_event", message: `Event ${event.event_type} is not handled` };
    },

    // API v3: 200/204 with no body acknowledges; any other status makes WeChat retry (15s/15s/30s/3m…).
    callbackAck: () => ({ status: 204, contentType: "application/json", body: "" }),

    async queryCharge(payment): Promise<GatewayCharge> {
      try {
        const { data: t } = await client.call<Transaction>("GET", `/v3/pay/transactions/out-trade-no/${enc(payment.id)}?mchid=${account.mchId}`);
        const state = CHARGE_STATES[t.trade_state] ?? "unpaid";
        return { state, amountCents: t.amount?.total, gatewayTxnId: t.transaction_id || undefined, payerAccount: t.payer?.openid };
      } catch (e) {
        if (e instanceof WechatPayError && e.code === "ORDER_NOT_EXIST") return { state: "not_found" };
        throw e;
      }
    },

    async closeCharge(payment) {
      try {
        await client.call("POST", `/v3/pay/transactions/out-trade-no/${enc(payment.id)}/close`, { mchid: account.mchId });
      } catch (e) {
        // Never opened here: nothing to close.
        if (!(e instanceof WechatPayError && e.code === "ORDER_NOT_EXIST")) throw e;
      }
    },

    async refund(payment, amountCents, refundId, reason): Promise<RefundResult> {
      try {
        const { data } = await client.call<Refund>("POST", "/v3/refund/domestic/refunds", {
          out_trade_no: payment.id, out_refund_no: refundId, reason: reason.slice(0, 80), notify_url: ctx.notifyUrl,
          amount: { refund: amountCents, total: payment.amount_cents, currency: payment.currency || "CNY" },
        });
        return { ok: true, refundRef: data.refund_id, state: REFUND_STATES[data.status ?? ""] ?? "processing" };
      } catch (e) {
        // A definite refusal (4xx other than a rate limit) fails the refund; anything else is unknown and asked again.
        if (e instanceof WechatPayError && e.status >= 400 && e.status < 500 && e.status !== 429 && e.code !== "FREQUENCY_LIMITED") return { ok: false, reason: e.code };
        throw e;
      }
    },

    async queryRefund(_payment, refundId) {
      try {
        const { data } = await client.call<Refund>("GET", `/v3/refund/domestic/refunds/${enc(refundId)}`);
        const state = REFUND_STATES[data.status ?? ""] ?? "processing";
        // ABNORMAL (the buyer's card was closed or frozen) or CLOSED: the console shows it as 退款失败 with this word.
        return { state, refundRef: data.refund_id, ...(state === "failed" ? { reason: data.status } : {}) };
      } catch (e) {
        if (e instanceof WechatPayError && e.status === 404) return { state: "not_found" as const };
        throw e;
      }
    },

    async downloadStatement(day) {
      let bill: { download_url: string; hash_type: string; hash_value: string };
      try {
        bill = (await client.call<typeof bill>("GET", `/v3/bill/tradebill?bill_date=${day}&bill_type=ALL`)).data;
      } catch (e) {
        if (e instanceof WechatPayError && e.code === "NO_STATEMENT_EXIST") return "";
        throw e;
      }
      const file = await client.download(bill.download_url);
      if (bill.hash_type !== "SHA1" || (await sha1Hex(file)) !== bill.hash_value.toLowerCase()) throw new Error("the downloaded bill does not match its SHA1 hash");
      return new TextDecoder().decode(file);
    },

    parseStatement: (text) => (text.trim() ? parseTradeBill(text) : []),
  };
}
