import { SandboxCallback } from "../../schema/orders";
import { randomToken } from "../domain/crypto";
import { signBody, verifyBody } from "../domain/signature";
import type { PaymentRow } from "../db/payments";
import type { PaymentProvider, VerifyResult } from "./provider";

export const SANDBOX_SIGNATURE_HEADER = "x-sandbox-signature";
export const SANDBOX_CALLBACK_PATH = "/api/v1/pay/callback/sandbox";

/**
 * The built-in sandbox gateway. It behaves like a real one: a hosted checkout page, then a callback posted to the
 * merchant, HMAC-SHA256 signed over `t.rawBody` (t = unix seconds) with PAYMENT_SANDBOX_SECRET.
 */
export function sandboxProvider(env: Pick<Env, "PAYMENT_SANDBOX_SECRET">): PaymentProvider {
  return {
    name: "sandbox",
    checkoutUrl: (origin, payment) => `${origin}/api/v1/pay/sandbox/checkout/${payment.id}`,
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
    async refund(_payment, _amount) {
      // The sandbox settles refunds synchronously, as many gateways do for full refunds of recent charges.
      return { ok: true, refundRef: `sbx_rf_${randomToken(20)}` };
    },
  };
}

/** What the sandbox gateway sends when the buyer pays on its hosted page. */
export async function sandboxPaidCallback(env: Pick<Env, "PAYMENT_SANDBOX_SECRET">, payment: PaymentRow, payerAccount?: string) {
  const body = JSON.stringify({
    type: "payment.succeeded",
    gatewayTxnId: `sbx_${randomToken(24)}`,
    paymentId: payment.id,
    orderId: payment.order_id,
    amountCents: payment.amount_cents,
    currency: payment.currency,
    paidAt: new Date().toISOString(),
    ...(payerAccount ? { payerAccount } : {}),
  } satisfies SandboxCallback);
  return { body, signature: await signBody(env.PAYMENT_SANDBOX_SECRET, body) };
}
