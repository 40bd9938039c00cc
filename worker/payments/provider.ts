import type { PaymentRow } from "../db/payments";

/** What a verified gateway notification says. Amounts are integer cents. */
export interface PaymentNotice {
  type: "payment.succeeded" | "refund.succeeded";
  gatewayTxnId: string;
  /** Our payment id (the merchant's out_trade_no); for a refund notice, the charge it refunds. */
  paymentId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  /** The payer's account at the gateway (Alipay buyer_id, WeChat openid; the sandbox wallet), when the gateway says. */
  payerAccount?: string;
  /** refund.succeeded: our refund id (out_refund_no / out_request_no) and the gateway's refund id. */
  refundId?: string;
  refundRef?: string;
}

/**
 * A refusal's `paymentId` is set only when the gateway's signature (and, for WeChat, the decryption) held, so the
 * payment it names is the gateway's word, not a stranger's: then the brand's record of the refusal names it too.
 */
export type VerifyResult = { ok: true; notice: PaymentNotice } | { ok: false; code: string; message: string; paymentId?: string };

/** The gateway's own view of a charge, asked before an order is credited (query order / alipay.trade.query). */
export interface GatewayCharge {
  state: "paid" | "unpaid" | "closed" | "refunded" | "not_found";
  amountCents?: number;
  gatewayTxnId?: string;
  payerAccount?: string;
}

export type RefundState = "succeeded" | "processing" | "failed";
export type RefundResult = { ok: true; refundRef: string; state: RefundState } | { ok: false; reason: string };

/**
 * One line of a provider's daily statement (bill), normalised: `merchantRef` is our payment id for a charge and our
 * refund id for a refund; `gatewayRef` the gateway's transaction / refund id. Amounts in cents, fee included.
 */
export interface StatementLine {
  kind: "payment" | "refund";
  merchantRef: string;
  gatewayRef: string;
  amountCents: number;
  feeCents: number;
  /** ISO 8601 time the gateway booked it. */
  at: string;
}

/** The HTTP answer a gateway expects from the merchant's callback endpoint (WeChat: JSON/204; Alipay: "success"). */
export interface CallbackAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * A payment gateway. The sandbox, WeChat Pay v3 and Alipay implement it; services never see a protocol detail.
 * Every method that talks to the gateway is idempotent on our ids (payment id = out_trade_no, refund id = out_refund_no).
 */
export interface PaymentProvider {
  readonly name: string;
  /** The buyer-facing method name on the cashier (微信支付, 支付宝). */
  readonly label: string;
  /** Opens the charge at the gateway if needed and says where the buyer's browser goes to pay. */
  startPayment(payment: PaymentRow, ctx: { origin: string; title: string; returnUrl: string; clientIp?: string }): Promise<{ redirectUrl: string }>;
  verifyCallback(rawBody: string, headers: Headers): Promise<VerifyResult>;
  /**
   * How to acknowledge an accepted callback in the gateway's protocol (it stops retrying); null answers with kaquan's
   * own JSON acknowledgement (the sandbox). A refused callback gets the error module's 4xx, which every gateway
   * treats as a failure and retries.
   */
  callbackAck(): CallbackAnswer | null;
  /**
   * The gateway's view of the charge, asked by our payment id (the gateway's out-trade-no); a success callback is
   * credited only when this says paid with the same amount.
   */
  queryCharge(payment: Pick<PaymentRow, "id">): Promise<GatewayCharge>;
  /** Closes an unpaid charge so it can no longer be paid (an order cancelled or expired). */
  closeCharge(payment: PaymentRow): Promise<void>;
  /** Asks the gateway to refund `amountCents` of the charge under our `refundId` (a repeat with the same id is one refund). */
  refund(payment: PaymentRow, amountCents: number, refundId: string, reason: string): Promise<RefundResult>;
  /** `reason`: the gateway's word on a failed refund, when it gives one. */
  queryRefund(payment: PaymentRow, refundId: string): Promise<{ state: RefundState | "not_found"; refundRef?: string; reason?: string }>;
  /** The day's statement (YYYY-MM-DD, China time) in the gateway's own bill format, and its parser. */
  downloadStatement(day: string): Promise<string>;
  parseStatement(text: string): StatementLine[];
}
