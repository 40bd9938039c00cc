import { createRoute, z } from "@hono/zod-openapi";
import { exports } from "cloudflare:workers";
import { getPaymentById } from "../db/payments";
import { getTenant } from "../db/tenants";
import { ApiError } from "../errors";
import { checkoutHtml } from "../payments/checkout-page";
import { providerFor } from "../payments/provider-registry";
import { SANDBOX_CALLBACK_PATH, SANDBOX_SIGNATURE_HEADER, sandboxPaidCallback } from "../payments/sandbox";
import { emitEvent } from "../queue/emit";
import { acceptPaymentNotice, deliverOrder, paymentForCheckout } from "../services/fulfilment";
import { createRouter, errors, json } from "./router";

const tags = ["payments"];
const PaymentId = z.object({ paymentId: z.string().min(1).max(64) });
const Ack = z.object({ received: z.boolean(), applied: z.boolean(), orderStatus: z.string() }).openapi("PaymentAck");

const checkout = createRoute({
  method: "get", path: "/pay/sandbox/checkout/{paymentId}", tags, summary: "Sandbox gateway: hosted checkout page (HTML)",
  request: { params: PaymentId },
  responses: { 200: { content: { "text/html": { schema: z.string() } }, description: "Checkout page" }, 404: errors[404] },
});
const pay = createRoute({
  method: "post", path: "/pay/sandbox/checkout/{paymentId}/pay", tags,
  summary: "Sandbox gateway: the buyer pays; the gateway posts a signed callback to the merchant and reports its answer",
  request: { params: PaymentId },
  responses: {
    200: json(Ack.extend({ orderId: z.string(), callbackSentAt: z.number().int().openapi({ description: "When the gateway posted the callback (ms since the epoch)" }) }), "Paid and notified"),
    404: errors[404],
    409: errors[409],
  },
});
const callback = createRoute({
  method: "post", path: "/pay/callback/{provider}", tags,
  summary: "Payment callback from a gateway",
  description:
    "Body: the provider's notice (sandbox: SandboxCallback). Header X-Sandbox-Signature: `t=<unix s>,v1=<hex HMAC-SHA256(secret, t + '.' + raw body)>`. " +
    "Refused (4xx, nothing changed) on a bad signature, a timestamp outside ±300 s, an unknown payment, another order id or another amount. " +
    "Idempotent: a repeat is acknowledged with applied=false. Only an unpaid order moves to paid.",
  request: { params: z.object({ provider: z.string().min(1).max(32) }) },
  responses: { 200: json(Ack, "Acknowledged"), 400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409] },
});

/** The sandbox gateway's hosted checkout: development only (app.ts does not mount it in production). */
export const sandboxGatewayRoutes = createRouter()
  .openapi(checkout, async (c) => {
    const { payment, order, product } = await paymentForCheckout(c.env, c.req.valid("param").paymentId);
    const tenant = await getTenant(c.env.DB, payment.tenant_id);
    const html = checkoutHtml({
      paymentId: payment.id, title: product?.name ?? "订单", amountCents: payment.amount_cents, status: order.status,
      returnUrl: `/shop/order/?t=${encodeURIComponent(tenant?.slug ?? "")}&o=${encodeURIComponent(order.id)}`,
    });
    c.header("Cache-Control", "no-store");
    return c.html(html, 200);
  })
  .openapi(pay, async (c) => {
    // The gateway knows its own payment (amount, order id); the merchant's order is the callback's business.
    const payment = await getPaymentById(c.env.DB, c.req.valid("param").paymentId);
    if (!payment || payment.kind !== "charge") throw ApiError.notFound("Payment");
    if (payment.status !== "pending") throw ApiError.conflict("already_paid", "This payment is already settled");
    const { body, signature } = await sandboxPaidCallback(c.env, payment);
    // The gateway calls the merchant over HTTP; the loopback keeps it a real request through the whole app.
    const callbackSentAt = Date.now();
    const res = await exports.default.fetch(new Request(new URL(SANDBOX_CALLBACK_PATH, c.req.url), {
      method: "POST", headers: { "content-type": "application/json", [SANDBOX_SIGNATURE_HEADER]: signature }, body,
    }));
    const ack = (await res.json()) as z.infer<typeof Ack> | { error: { code: string; message: string } };
    if (!res.ok || "error" in ack) throw ApiError.conflict("callback_refused", `The merchant refused the callback (${res.status})`);
    return c.json({ ...ack, orderId: payment.order_id, callbackSentAt }, 200);
  });

export const paymentRoutes = createRouter()
  .openapi(callback, async (c) => {
    const provider = providerFor(c.env, c.req.valid("param").provider);
    if (!provider) throw ApiError.notFound("Payment provider");
    const raw = await c.req.text();
    const verified = await provider.verifyCallback(raw, c.req.raw.headers);
    if (!verified.ok) {
      console.warn(JSON.stringify({ at: "payment_callback", requestId: c.var.requestId, refused: verified.code }));
      const status = verified.code.startsWith("signature_") ? 401 : 400;
      throw new ApiError(status, verified.code, verified.message);
    }
    const outcome = await acceptPaymentNotice(c.env, provider.name, verified.notice).catch(async (e) => {
      if (e instanceof ApiError) {
        const payment = await c.env.DB.prepare("SELECT tenant_id FROM payments WHERE id = ?").bind(verified.notice.paymentId).first<{ tenant_id: string }>();
        if (payment) await emitEvent(c.env, { tenantId: payment.tenant_id, type: "payment_callback_refused", payload: { paymentId: verified.notice.paymentId, reason: e.code } });
      }
      throw e;
    });
    let order = outcome.order;
    if (outcome.applied) {
      // Keys and coupons are delivered before answering (the buyer sees them at once); upstream recharges in the background.
      if (outcome.needsAsyncDelivery) c.executionCtx.waitUntil(deliverOrder(c.env, order).then(() => undefined));
      else order = await deliverOrder(c.env, order);
    }
    return c.json({ received: true, applied: outcome.applied, orderStatus: order.status }, 200);
  });
