import type { VerifyResult } from "../provider";
import type { AlipayKeys } from "./client";
import { parseChinaTime, yuanToCents } from "./amount";
import { rsa2Verify, signingString } from "./sign";

/**
 * notify_time window. Alipay re-sends an unanswered notify 8 times over 25 h (2m,10m,10m,1h,2h,6h,15h), so a notify
 * may legitimately be a day old; older than 26 h is a replay. Replays inside the window cannot do harm: a notice is
 * credited only after alipay.trade.query confirms it, and the callback is idempotent on our payment id / refund id.
 * Ahead of our clock by more than 5 min is refused (clock skew allowance).
 */
export const NOTIFY_MAX_AGE_MS = 26 * 3_600_000;
export const NOTIFY_MAX_AHEAD_MS = 5 * 60_000;

const refuse = (code: string, message: string, paymentId?: string): VerifyResult => ({ ok: false, code, message, ...(paymentId ? { paymentId } : {}) });

/** An async notify (x-www-form-urlencoded POST from Alipay) → a verified PaymentNotice, or why not. */
export async function verifyAlipayNotify(keys: AlipayKeys, rawBody: string, now: number): Promise<VerifyResult> {
  const form = new URLSearchParams(rawBody);
  const p: Record<string, string> = {};
  for (const [k, v] of form) {
    if (k in p) return refuse("invalid_body", `Notify repeats the parameter ${k}`);
    p[k] = v;
  }
  if (p.sign_type && p.sign_type !== "RSA2") return refuse("signature_unsupported", `sign_type ${p.sign_type} is not accepted (RSA2 only)`);
  if (!p.sign) return refuse("signature_missing", "Notify has no sign");
  if (!(await rsa2Verify(await keys.alipayKey, signingString(p, ["sign", "sign_type"]), p.sign))) {
    return refuse("signature_invalid", "Notify signature does not verify with the Alipay public key");
  }
  // Signed by Alipay from here on: the payment it names is Alipay's word (the brand's record of a refusal names it).
  const paymentId = p.out_trade_no || undefined;
  if (p.app_id !== keys.appId) return refuse("signature_wrong_app", "Notify is for another app_id", paymentId);
  // Alipay's own rule: the seller of the trade must be the merchant (one app can serve several sellers).
  if (keys.sellerId && p.seller_id !== keys.sellerId) return refuse("wrong_seller", "Notify is for another seller_id", paymentId);
  const sent = parseChinaTime(p.notify_time ?? "");
  if (sent === null) return refuse("invalid_body", "notify_time missing or malformed");
  if (sent < now - NOTIFY_MAX_AGE_MS || sent > now + NOTIFY_MAX_AHEAD_MS) return refuse("signature_expired", "notify_time is outside the accepted window", paymentId);
  if (!p.out_trade_no || !p.trade_no) return refuse("invalid_body", "Notify lacks out_trade_no or trade_no");
  const payerAccount = p.buyer_open_id || p.buyer_id || undefined;
  // Our order id travels as passback_params (公用回传参数, URL-encoded by us, echoed back by Alipay in the notify).
  const orderId = safeDecode(p.passback_params ?? "");
  // A refund notice (trade_status_sync after alipay.trade.refund): out_biz_no is our out_request_no, refund_fee the total refunded.
  if (p.out_biz_no && p.refund_fee) {
    const cents = yuanToCents(p.refund_fee);
    if (cents === null) return refuse("invalid_body", "refund_fee is not an amount");
    return {
      ok: true,
      notice: { type: "refund.succeeded", gatewayTxnId: p.trade_no, paymentId: p.out_trade_no, orderId, amountCents: cents, currency: "CNY", payerAccount, refundId: p.out_biz_no, refundRef: `${p.trade_no}:${p.out_biz_no}` },
    };
  }
  if (p.trade_status !== "TRADE_SUCCESS" && p.trade_status !== "TRADE_FINISHED") {
    return refuse("unsupported_status", `trade_status ${p.trade_status ?? "(none)"} is not a payment`);
  }
  const cents = yuanToCents(p.total_amount ?? "");
  if (cents === null || cents <= 0) return refuse("invalid_body", "total_amount is not an amount");
  return {
    ok: true,
    notice: { type: "payment.succeeded", gatewayTxnId: p.trade_no, paymentId: p.out_trade_no, orderId, amountCents: cents, currency: "CNY", payerAccount },
  };
}

function safeDecode(s: string) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
