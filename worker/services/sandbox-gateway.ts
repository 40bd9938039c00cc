import { exports } from "cloudflare:workers";
import { randomToken } from "../domain/crypto";
import { getTenant } from "../db/tenants";
import { ApiError } from "../errors";
import { checkoutHtml } from "../payments/checkout-page";
import { SANDBOX_CALLBACK_PATH, SANDBOX_SIGNATURE_HEADER, sandboxNotice, sandboxPaidCallback } from "../payments/sandbox";
import { unacknowledgedSandboxCharges } from "../db/sandbox-gateway";
import { isDevelopment } from "../domain/deploy-config";
import { startPayment } from "./cashier";
import { paymentForCheckout } from "./fulfilment";

/** The sandbox gateway's hosted checkout page for a charge (404 for an unknown payment). */
export async function sandboxCheckoutPage(env: Env, paymentId: string): Promise<string> {
  const { payment, order, product } = await paymentForCheckout(env, paymentId);
  const tenant = await getTenant(env.DB, payment.tenant_id);
  return checkoutHtml({
    paymentId: payment.id, title: product?.name ?? "订单", amountCents: payment.amount_cents, status: order.status,
    returnUrl: `/shop/order/?t=${encodeURIComponent(tenant?.slug ?? "")}&o=${encodeURIComponent(order.id)}`,
    // A gateway knows the amount it charges, not the order's coupons (our cashier shows those).
    methods: [], sandboxPayUrl: `/api/v1/pay/sandbox/checkout/${payment.id}/pay`, breakdown: null,
  });
}

type Ack = { received: boolean; applied: boolean; orderStatus: string };

/**
 * The buyer pays at the sandbox gateway: it posts a signed callback to the merchant (requestUrl's origin) and reports
 * the merchant's answer. 404 unknown payment, 409 `already_paid`, 409 `callback_refused`.
 */
export async function payAtSandbox(env: Env, paymentId: string, requestUrl: string, payerAccount?: string) {
  // The gateway knows its own payment (amount, order id); the merchant's order is the callback's business. A real
  // gateway always knows who paid; the sandbox's wallet is the one the page names, else a fresh one. A charge opened at
  // a real gateway moves here only once that gateway says it was not paid there (and is closed), as any switch of
  // gateway does: a payment taken there is credited instead, and this one refused.
  const { payment, body, signature } = await sandboxPaidCallback(
    env, paymentId, payerAccount ?? `wallet_${randomToken(12)}`, () => startPayment(env, paymentId, "sandbox", new URL(requestUrl).origin),
  );
  const callbackSentAt = Date.now();
  const { res, ack } = await notifyMerchant(requestUrl, body, signature);
  if (!res.ok || !ack || "error" in ack) throw ApiError.conflict("callback_refused", `The merchant refused the callback (${res.status})`);
  return { ...ack, orderId: payment.order_id, callbackSentAt };
}

/** The gateway calls the merchant over HTTP; the loopback keeps it a real request through the whole app. */
async function notifyMerchant(url: string, body: string, signature: string) {
  const res = await exports.default.fetch(new Request(new URL(SANDBOX_CALLBACK_PATH, url), {
    method: "POST", headers: { "content-type": "application/json", [SANDBOX_SIGNATURE_HEADER]: signature }, body,
  }));
  // An answer that is not JSON is no acknowledgement (null), as a refusal is not.
  const ack = (await res.json().catch(() => null)) as Ack | { error: { code: string; message: string } } | null;
  return { res, ack };
}

/** A notice is sent again once it has gone unacknowledged this long, and for this long after the charge. */
export const RESEND_AFTER_MS = 15_000;
const RESEND_FOR_MS = 86_400_000;

/**
 * A real gateway repeats a payment notice the merchant did not acknowledge (WeChat Pay for about a day). So does the
 * sandbox, from the cron: a charge it took whose payment is still pending here after RESEND_AFTER_MS — the runtime
 * died between the booking and the merchant's answer — is notified again. The callback settles it as any notice: the
 * order is delivered, or refunded when it was cancelled or lapsed meanwhile. Development only (no sandbox elsewhere).
 */
export async function resendSandboxNotices(env: Env, now = Date.now()): Promise<number> {
  if (!isDevelopment(env)) return 0;
  const due = await unacknowledgedSandboxCharges(env.DB, new Date(now - RESEND_FOR_MS).toISOString(), new Date(now - RESEND_AFTER_MS).toISOString(), 50);
  let acknowledged = 0;
  for (const txn of due) {
    const { body, signature } = await sandboxNotice(env, { id: txn.payment_id, order_id: txn.order_id, currency: txn.currency }, txn);
    const { res, ack } = await notifyMerchant("http://sandbox.invalid/", body, signature);
    if (res.ok && ack && !("error" in ack)) acknowledged++;
    else console.error(JSON.stringify({ at: "sandbox_notice_resend", paymentId: txn.payment_id, status: res.status }));
  }
  return acknowledged;
}
