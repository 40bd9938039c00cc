import type { AlipayAccount } from "../../../schema/payments";
import type { PaymentRow } from "../../db/payments";
import type { ProviderContext } from "../provider-registry";
import type { GatewayCharge, PaymentProvider, RefundResult } from "../provider";
import { centsToYuan, chinaTimestamp, yuanToCents } from "./amount";
import { parseAlipayBill } from "./bill";
import { unpackBill } from "./bill-zip";
import { alipayKeys, callAlipay, signedParams, type AlipayResponse } from "./client";
import { verifyAlipayNotify } from "./notify";

// How long the buyer may take at Alipay's cashier after the charge was opened (time_expire); an order cancelled or
// lapsed sooner is closed by closeCharge.
const PAY_WINDOW_MS = 2 * 3_600_000;

/**
 * Alipay gives a refund no id of its own (it is the trade_no plus our out_request_no), so a refund's gateway reference
 * is "<trade_no>:<out_request_no>": unique per refund, the same in the refund answer, the refund notice and the bill.
 */
export const refundRefOf = (tradeNo: string, outRequestNo: string) => `${tradeNo}:${outRequestNo}`;
const text = (v: unknown) => (typeof v === "string" ? v : undefined);
const failure = (method: string, r: AlipayResponse) => new Error(`alipay ${method}: ${r.code} ${r.sub_code ?? r.msg ?? ""} ${r.sub_msg ?? ""}`.trim());

/**
 * Alipay open platform (RSA2) as a PaymentProvider: 手机网站支付 alipay.trade.wap.pay, alipay.trade.query before credit,
 * alipay.trade.close, alipay.trade.refund (synchronous; fund_change Y) with alipay.trade.fastpay.refund.query,
 * and the trade bill 业务明细 via alipay.data.dataservice.bill.downloadurl.query.
 */
export function alipayProvider(account: AlipayAccount, ctx: ProviderContext): PaymentProvider {
  const keys = alipayKeys(account);
  const call = (method: string, biz: Record<string, unknown>) => callAlipay(keys, ctx.fetch, method, biz, ctx.now());

  async function refundStatus(payment: PaymentRow, refundId: string) {
    const r = await call("alipay.trade.fastpay.refund.query", { out_trade_no: payment.id, out_request_no: refundId, query_options: ["gmt_refund_pay"] });
    if (r.code !== "10000") {
      if (r.sub_code === "ACQ.TRADE_NOT_EXIST") return { state: "not_found" as const };
      throw failure("alipay.trade.fastpay.refund.query", r);
    }
    // An unknown out_request_no is a success answer without the refund's fields.
    if (!text(r.out_request_no) && !text(r.refund_amount)) return { state: "not_found" as const };
    const refundRef = refundRefOf(text(r.trade_no) ?? "", refundId);
    return { state: r.refund_status === "REFUND_SUCCESS" ? ("succeeded" as const) : ("processing" as const), refundRef };
  }

  return {
    name: "alipay",
    label: "支付宝",
    async startPayment(payment, start) {
      const params = await signedParams(keys, "alipay.trade.wap.pay", {
        out_trade_no: payment.id,
        total_amount: centsToYuan(payment.amount_cents),
        subject: start.title.slice(0, 256),
        product_code: "QUICK_WAP_WAY",
        quit_url: new URL(`/api/v1/pay/checkout/${payment.id}`, start.origin).toString(),
        time_expire: chinaTimestamp(Date.parse(payment.created_at) + PAY_WINDOW_MS),
        passback_params: encodeURIComponent(payment.order_id),
      }, ctx.now(), { notify_url: ctx.notifyUrl, return_url: start.returnUrl });
      return { redirectUrl: `${account.gatewayUrl}?${new URLSearchParams(params)}` };
    },
    verifyCallback: (rawBody) => verifyAlipayNotify(keys, rawBody, ctx.now()),
    // Alipay stops retrying on the text "success"; anything else is retried.
    callbackAck: () => ({ status: 200, contentType: "text/plain; charset=utf-8", body: "success" }),
    async queryCharge(payment): Promise<GatewayCharge> {
      const r = await call("alipay.trade.query", { out_trade_no: payment.id });
      if (r.code !== "10000") {
        if (r.sub_code === "ACQ.TRADE_NOT_EXIST") return { state: "not_found" };
        throw failure("alipay.trade.query", r);
      }
      const gatewayTxnId = text(r.trade_no);
      const payerAccount = text(r.buyer_open_id) ?? text(r.buyer_user_id);
      const amountCents = yuanToCents(text(r.total_amount) ?? "") ?? undefined;
      switch (r.trade_status) {
        case "WAIT_BUYER_PAY":
          return { state: "unpaid", gatewayTxnId };
        case "TRADE_SUCCESS":
        case "TRADE_FINISHED":
          return { state: "paid", amountCents, gatewayTxnId, payerAccount };
        case "TRADE_CLOSED":
          // Closed after payment (send_pay_date set) means refunded in full; else closed unpaid.
          return { state: text(r.send_pay_date) ? "refunded" : "closed", amountCents, gatewayTxnId, payerAccount };
        default:
          throw new Error(`alipay.trade.query: unknown trade_status ${String(r.trade_status)}`);
      }
    },
    async closeCharge(payment) {
      const r = await call("alipay.trade.close", { out_trade_no: payment.id });
      // Never opened at Alipay (the buyer did not reach its cashier), or no longer open (paid: the callback refunds it).
      if (r.code === "10000" || r.sub_code === "ACQ.TRADE_NOT_EXIST" || r.sub_code === "ACQ.TRADE_STATUS_ERROR") return;
      throw failure("alipay.trade.close", r);
    },
    async refund(payment, amountCents, refundId, reason): Promise<RefundResult> {
      const r = await call("alipay.trade.refund", {
        out_trade_no: payment.id, refund_amount: centsToYuan(amountCents), out_request_no: refundId, refund_reason: reason.slice(0, 256),
      });
      if (r.code !== "10000") {
        // Business refusals fail the refund; a system error (20000, ACQ.SYSTEM_ERROR) is asked again under the same id.
        if (r.code === "40004" && r.sub_code !== "ACQ.SYSTEM_ERROR") return { ok: false, reason: r.sub_code ?? r.code };
        throw failure("alipay.trade.refund", r);
      }
      const refundRef = refundRefOf(text(r.trade_no) ?? "", refundId);
      if (r.fund_change === "Y") return { ok: true, refundRef, state: "succeeded" };
      // fund_change N: a repeat of an earlier request (already refunded) or not moved yet — the refund query says which.
      const known = await refundStatus(payment, refundId);
      return { ok: true, refundRef, state: known.state === "succeeded" ? "succeeded" : "processing" };
    },
    queryRefund: refundStatus,
    async downloadStatement(day) {
      const r = await call("alipay.data.dataservice.bill.downloadurl.query", { bill_type: "trade", bill_date: day });
      const url = text(r.bill_download_url);
      if (r.code !== "10000" || !url) throw failure("alipay.data.dataservice.bill.downloadurl.query", r);
      const res = await ctx.fetch(url);
      if (!res.ok) throw new Error(`alipay bill download: HTTP ${res.status}`);
      return unpackBill(new Uint8Array(await res.arrayBuffer()));
    },
    parseStatement: parseAlipayBill,
  };
}
