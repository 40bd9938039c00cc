import type { PaymentRow } from "../db/payments";

/** What a verified gateway notification says. Amounts are integer cents. */
export interface PaymentNotice {
  type: "payment.succeeded" | "refund.succeeded";
  gatewayTxnId: string;
  paymentId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  /** The payer's account at the gateway (Alipay buyer_id, WeChat openid; the sandbox wallet), when the gateway says. */
  payerAccount?: string;
}

export type VerifyResult = { ok: true; notice: PaymentNotice } | { ok: false; code: string; message: string };

/** A payment gateway: hosted checkout, signed callbacks, refunds. The sandbox implements it; a real one plugs in here. */
export interface PaymentProvider {
  readonly name: string;
  checkoutUrl(origin: string, payment: PaymentRow): string;
  verifyCallback(rawBody: string, headers: Headers): Promise<VerifyResult>;
  refund(payment: PaymentRow, amountCents: number): Promise<{ ok: true; refundRef: string } | { ok: false; reason: string }>;
}
