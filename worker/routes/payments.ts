import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { providerForCallback } from "../payments/provider-registry";
import { settlePaymentNotice } from "../services/payment-callback";
import { payAtSandbox, sandboxCheckoutPage } from "../services/sandbox-gateway";
import { SandboxPayInput } from "../../schema/orders";
import { createRouter, errors, json, optionalJsonBody } from "./router";

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
  request: { params: PaymentId, ...optionalJsonBody(SandboxPayInput, "The sandbox wallet account paying (optional)") },
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
    const html = await sandboxCheckoutPage(c.env, c.req.valid("param").paymentId);
    c.header("Cache-Control", "no-store");
    return c.html(html, 200);
  })
  .openapi(pay, async (c) => c.json(await payAtSandbox(c.env, c.req.valid("param").paymentId, c.req.url, c.req.valid("json").payerAccount), 200));

export const paymentRoutes = createRouter()
  .openapi(callback, async (c) => {
    const found = await providerForCallback(c.env, c.req.valid("param").provider, undefined, new URL(c.req.url).origin);
    if (!found) throw ApiError.notFound("Payment provider");
    const { provider } = found;
    const raw = await c.req.text();
    const verified = await provider.verifyCallback(raw, c.req.raw.headers);
    if (!verified.ok) {
      console.warn(JSON.stringify({ at: "payment_callback", requestId: c.var.requestId, refused: verified.code }));
      const status = verified.code.startsWith("signature_") ? 401 : 400;
      throw new ApiError(status, verified.code, verified.message);
    }
    const { applied, orderStatus } = await settlePaymentNotice(c.env, provider.name, verified.notice, (work) => c.executionCtx.waitUntil(work));
    return c.json({ received: true, applied, orderStatus }, 200);
  });
