import { SandboxCallback } from "../../schema/orders";
import { ApiError } from "../errors";
import { randomToken } from "../domain/crypto";
import { parseCsv, toCsv } from "../domain/statement-csv";
import { signBody, verifyBody } from "../domain/signature";
import {
  bookSandboxTxn, closeSandboxCharge, getSandboxTxn, paySandboxCharge, sandboxChargeWithRefunds, sandboxRefundedCents, sandboxTxnsBetween, type SandboxTxnRow,
} from "../db/sandbox-gateway";
import type { PaymentRow } from "../db/payments";
import type { PaymentProvider, StatementLine, VerifyResult } from "./provider";

/** A payer account starting so: the sandbox answers its refunds "processing" until settleSandboxRefund says how they end. */
export const ASYNC_REFUND_PAYER = "async-refund";
/** What the sandbox says of a refund it refused after answering "processing" (WeChat Pay's ABNORMAL). */
export const SANDBOX_REFUND_REFUSED = "ABNORMAL（沙箱：退款异常，付款账户已无法入账）";
const sandboxRefundState = (s: string) => (s === "processing" ? "processing" : s === "failed" ? "failed" : "succeeded");

export const SANDBOX_SIGNATURE_HEADER = "x-sandbox-signature";
export const SANDBOX_CALLBACK_PATH = "/api/v1/pay/callback/sandbox";
const STATEMENT_HEADER = ["gateway_ref", "merchant_ref", "kind", "amount_cents", "fee_cents", "booked_at"];

/** YYYY-MM-DD in China time → [from, to) as ISO instants. */
export function chinaDayRange(day: string): [string, string] {
  const start = Date.parse(`${day}T00:00:00+08:00`);
  return [new Date(start).toISOString(), new Date(start + 86_400_000).toISOString()];
}

/**
 * The built-in sandbox gateway. It behaves like a real one: a hosted checkout page, a callback posted to the merchant
 * (HMAC-SHA256 over `t.rawBody`, t = unix seconds, with PAYMENT_SANDBOX_SECRET), its own books in D1 so the merchant
 * can query a charge before crediting it, refunds idempotent on our refund id, and a daily CSV statement per tenant.
 */
export function sandboxProvider(env: Pick<Env, "PAYMENT_SANDBOX_SECRET" | "DB">, tenantId?: string): PaymentProvider {
  return {
    name: "sandbox",
    label: "沙箱支付",
    async startPayment(payment, ctx) {
      return { redirectUrl: `${ctx.origin}/api/v1/pay/sandbox/checkout/${payment.id}` };
    },
    async verifyCallback(rawBody, headers): Promise<VerifyResult> {
      const sig = await verifyBody(env.PAYMENT_SANDBOX_SECRET, rawBody, headers.get(SANDBOX_SIGNATURE_HEADER));
      if (!sig.ok) return { ok: false, code: `signature_${sig.reason}`, message: `Callback signature ${sig.reason}` };
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        return { ok: false, code: "invalid_body", message: "Callback body is not JSON" };
      }
      const parsed = SandboxCallback.safeParse(json);
      if (!parsed.success) return { ok: false, code: "invalid_body", message: "Callback body does not match the contract" };
      return { ok: true, notice: parsed.data };
    },
    // kaquan's own JSON acknowledgement (the sandbox checkout page reads it).
    callbackAck: () => null,
    async queryCharge(payment) {
      const txn = await sandboxChargeWithRefunds(env.DB, payment.id);
      if (!txn) return { state: "unpaid" };
      if (txn.state === "closed") return { state: "closed" };
      return { state: txn.refunded_cents >= txn.amount_cents ? "refunded" : "paid", amountCents: txn.amount_cents, gatewayTxnId: txn.gateway_ref, payerAccount: txn.payer_account ?? undefined };
    },
    async closeCharge(payment) {
      await closeSandboxCharge(env.DB, payment.tenant_id, payment.id, `sbx_close_${payment.id}`, payment.amount_cents);
    },
    async refund(payment, amountCents, refundId) {
      const charge = await getSandboxTxn(env.DB, "payment", payment.id);
      if (!charge || charge.state !== "paid") return { ok: false, reason: "charge_not_paid" };
      const prior = await getSandboxTxn(env.DB, "refund", refundId);
      if (prior?.state === "failed") return { ok: false, reason: SANDBOX_REFUND_REFUSED };
      if (prior) return { ok: true, refundRef: prior.gateway_ref, state: sandboxRefundState(prior.state) };
      if ((await sandboxRefundedCents(env.DB, payment.id)) + amountCents > charge.amount_cents) return { ok: false, reason: "refund_exceeds_charge" };
      const fee = Math.round((charge.fee_cents * amountCents) / Math.max(1, charge.amount_cents));
      // The sandbox settles refunds synchronously, as gateways do for refunds of recent charges — except for a payer
      // account named async-refund…, whose refunds stay processing until settleSandboxRefund (as WeChat Pay's do).
      const async = charge.payer_account?.startsWith(ASYNC_REFUND_PAYER) ?? false;
      const txn = await bookSandboxTxn(env.DB, {
        gateway_ref: `sbx_rf_${randomToken(20)}`, tenant_id: payment.tenant_id, kind: "refund", merchant_ref: refundId, payment_id: payment.id,
        amount_cents: amountCents, fee_cents: fee, state: async ? "processing" : "succeeded", payer_account: charge.payer_account,
      });
      return { ok: true, refundRef: txn.gateway_ref, state: sandboxRefundState(txn.state) };
    },
    async queryRefund(_payment, refundId) {
      const txn = await getSandboxTxn(env.DB, "refund", refundId);
      if (!txn) return { state: "not_found" };
      const state = sandboxRefundState(txn.state);
      return { state, refundRef: txn.gateway_ref, ...(state === "failed" ? { reason: SANDBOX_REFUND_REFUSED } : {}) };
    },
    async downloadStatement(day) {
      if (!tenantId) throw new Error("the sandbox statement is per tenant");
      const [from, to] = chinaDayRange(day);
      const rows = await sandboxTxnsBetween(env.DB, tenantId, from, to);
      return toCsv([STATEMENT_HEADER, ...rows.map((r) => [r.gateway_ref, r.merchant_ref, r.kind, String(r.amount_cents), String(r.fee_cents), r.booked_at])], "machine");
    },
    parseStatement(text): StatementLine[] {
      const [head, ...rows] = parseCsv(text);
      if (!head || head.join(",") !== STATEMENT_HEADER.join(",")) throw new Error("not a sandbox statement");
      const cents = /^-?\d{1,12}$/;
      return rows.filter((r) => r.length === STATEMENT_HEADER.length).map(([gatewayRef, merchantRef, kind, amount, fee, at], i) => {
        // Line i + 2 of the file (after the header): a statement the gateway did not write is refused, not half-read.
        if (kind !== "payment" && kind !== "refund") throw new Error(`line ${i + 2}: kind must be payment or refund`);
        if (!cents.test(amount!) || !cents.test(fee!)) throw new Error(`line ${i + 2}: amounts must be whole cents`);
        return { kind, merchantRef: merchantRef!, gatewayRef: gatewayRef!, amountCents: Number(amount), feeCents: Number(fee), at: at! };
      });
    },
  };
}

/**
 * The buyer pays at the sandbox: the gateway books the charge (once per payment; the fee is 0.6 %, refunds give it
 * back pro rata), then builds its signed callback. 404 unknown payment, 409 `already_paid`, 409 `charge_closed`.
 */
export async function sandboxPaidCallback(
  env: Pick<Env, "PAYMENT_SANDBOX_SECRET" | "DB">, paymentId: string, payerAccount?: string, moveHere?: () => Promise<unknown>,
) {
  const gatewayRef = `sbx_${randomToken(24)}`;
  let { payment, txn } = await paySandboxCharge(env.DB, paymentId, gatewayRef, payerAccount ?? null);
  // Opened at another gateway by the cashier: moved here first (that gateway asked and closed), then booked.
  if (moveHere && payment?.kind === "charge" && payment.status === "pending" && payment.provider !== "sandbox") {
    await moveHere();
    ({ payment, txn } = await paySandboxCharge(env.DB, paymentId, gatewayRef, payerAccount ?? null));
  }
  if (!payment || payment.kind !== "charge") throw ApiError.notFound("Payment");
  if (payment.status !== "pending") throw ApiError.conflict("already_paid", "This payment is already settled");
  if (txn?.state !== "paid") throw ApiError.conflict("charge_closed", "The gateway closed this charge; it can no longer be paid");
  return { payment, ...(await sandboxNotice(env, payment, txn)) };
}

/** The gateway's signed notice of a charge it took (sent when paid, and again while unacknowledged). */
export async function sandboxNotice(
  env: Pick<Env, "PAYMENT_SANDBOX_SECRET">, payment: Pick<PaymentRow, "id" | "order_id" | "currency">, txn: SandboxTxnRow,
) {
  const body = JSON.stringify({
    type: "payment.succeeded",
    gatewayTxnId: txn.gateway_ref,
    paymentId: payment.id,
    orderId: payment.order_id,
    amountCents: txn.amount_cents,
    currency: payment.currency,
    paidAt: txn.booked_at,
    ...(txn.payer_account ? { payerAccount: txn.payer_account } : {}),
  } satisfies SandboxCallback);
  return { body, signature: await signBody(env.PAYMENT_SANDBOX_SECRET, body) };
}
