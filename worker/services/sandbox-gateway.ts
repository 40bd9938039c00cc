import { exports } from "cloudflare:workers";
import { randomToken } from "../domain/crypto";
import { getTenant } from "../db/tenants";
import { ApiError } from "../errors";
import { checkoutHtml } from "../payments/checkout-page";
import { SANDBOX_CALLBACK_PATH, SANDBOX_SIGNATURE_HEADER, sandboxPaidCallback } from "../payments/sandbox";
import { getPaymentById } from "../db/payments";
import { startPayment } from "./cashier";
import { paymentForCheckout } from "./fulfilment";

/** The sandbox gateway's hosted checkout page for a charge (404 for an unknown payment). */
export async function sandboxCheckoutPage(env: Env, paymentId: string): Promise<string> {
  const { payment, order, product } = await paymentForCheckout(env, paymentId);
  const tenant = await getTenant(env.DB, payment.tenant_id);
  return checkoutHtml({
    paymentId: payment.id, title: product?.name ?? "订单", amountCents: payment.amount_cents, status: order.status,
    returnUrl: `/shop/order/?t=${encodeURIComponent(tenant?.slug ?? "")}&o=${encodeURIComponent(order.id)}`,
    methods: [], sandboxPayUrl: `/api/v1/pay/sandbox/checkout/${payment.id}/pay`,
  });
}

type Ack = { received: boolean; applied: boolean; orderStatus: string };

/**
 * The buyer pays at the sandbox gateway: it posts a signed callback to the merchant (requestUrl's origin) and reports
 * the merchant's answer. 404 unknown payment, 409 `already_paid`, 409 `callback_refused`.
 */
export async function payAtSandbox(env: Env, paymentId: string, requestUrl: string, payerAccount?: string) {
  // A charge opened at a real gateway moves here only once that gateway says it was not paid there (and is closed),
  // as any switch of gateway does: a payment taken there is credited instead, and this one refused.
  const open = await getPaymentById(env.DB, paymentId);
  if (open && open.status === "pending" && open.provider !== "sandbox") await startPayment(env, paymentId, "sandbox", new URL(requestUrl).origin);
  // The gateway knows its own payment (amount, order id); the merchant's order is the callback's business. A real
  // gateway always knows who paid; the sandbox's wallet is the one the page names, else a fresh one.
  const { payment, body, signature } = await sandboxPaidCallback(env, paymentId, payerAccount ?? `wallet_${randomToken(12)}`);
  // The gateway calls the merchant over HTTP; the loopback keeps it a real request through the whole app.
  const callbackSentAt = Date.now();
  const res = await exports.default.fetch(new Request(new URL(SANDBOX_CALLBACK_PATH, requestUrl), {
    method: "POST", headers: { "content-type": "application/json", [SANDBOX_SIGNATURE_HEADER]: signature }, body,
  }));
  const ack = (await res.json()) as Ack | { error: { code: string; message: string } };
  if (!res.ok || "error" in ack) throw ApiError.conflict("callback_refused", `The merchant refused the callback (${res.status})`);
  return { ...ack, orderId: payment.order_id, callbackSentAt };
}
