import type { Context } from "hono";
import type { AppEnv } from "../types";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { providerForCallback } from "../payments/provider-registry";
import { recordRefusedNotice, settlePaymentNotice } from "../services/payment-callback";
import { payAtSandbox, sandboxCheckoutPage } from "../services/sandbox-gateway";
import { SandboxPayInput } from "../../schema/orders";
import { StartPaymentInput, StartPaymentResult } from "../../schema/payments";
import { cashierPage, startPayment } from "../services/cashier";
import { clientIpOf } from "../domain/client-ip";
import { callbackBodyLimit } from "../middleware/body-limit";
import { createRouter, errors, json, jsonBody, optionalJsonBody } from "./router";

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
const cashier = createRoute({
  method: "get", path: "/pay/checkout/{paymentId}", tags, summary: "The cashier (收银台) for an order's charge: the tenant's payment methods (HTML)",
  request: { params: PaymentId },
  responses: { 200: { content: { "text/html": { schema: z.string() } }, description: "Cashier page" }, 404: errors[404] },
});
const start = createRoute({
  method: "post", path: "/pay/checkout/{paymentId}/start", tags,
  summary: "The buyer chose a payment method: the charge is opened at that gateway; the answer says where the browser goes",
  request: { params: PaymentId, ...jsonBody(StartPaymentInput) },
  responses: { 200: json(StartPaymentResult, "Go to the gateway"), 404: errors[404], 409: errors[409] },
});
const payAlias = createRoute({ ...pay, path: "/pay/checkout/{paymentId}/pay", summary: "Development: pay the charge with the sandbox gateway from the cashier" });

const callbackDoc = {
  tags,
  summary: "Payment callback from a gateway",
  description:
    "Sandbox (development): body SandboxCallback, header X-Sandbox-Signature `t=<unix s>,v1=<hex HMAC-SHA256(secret, t + '.' + raw body)>`. " +
    "WeChat Pay v3 and Alipay: their own protocol at /pay/callback/{provider}/{accountId} (the notify URL kaquan gives the gateway per connected account). " +
    "Refused (4xx, nothing changed) on a bad signature, a timestamp outside ±300 s, an unknown payment or another tenant's, another order id or amount, " +
    "or when the gateway, asked by kaquan, does not confirm the charge as paid with that amount. " +
    "Idempotent: a repeat is acknowledged with applied=false. Only an unpaid order moves to paid; money for an order that can no longer take it is refunded.",
  responses: { 200: json(Ack, "Acknowledged (or the gateway's own success answer)"), 400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409], 413: errors[413] },
};
const Provider = z.string().min(1).max(32);
const callback = createRoute({ method: "post", path: "/pay/callback/{provider}", ...callbackDoc, middleware: [callbackBodyLimit], request: { params: z.object({ provider: Provider }) } });
const accountCallback = createRoute({
  method: "post", path: "/pay/callback/{provider}/{accountId}", ...callbackDoc, middleware: [callbackBodyLimit],
  request: { params: z.object({ provider: Provider, accountId: z.string().min(1).max(64) }) },
});

/** The sandbox gateway's hosted checkout: development only (app.ts does not mount it in production). */
export const sandboxGatewayRoutes = createRouter()
  .openapi(payAlias, async (c) => c.json(await payAtSandbox(c.env, c.req.valid("param").paymentId, c.req.url, c.req.valid("json").payerAccount), 200))
  .openapi(checkout, async (c) => {
    const html = await sandboxCheckoutPage(c.env, c.req.valid("param").paymentId);
    c.header("Cache-Control", "no-store");
    return c.html(html, 200);
  })
  .openapi(pay, async (c) => c.json(await payAtSandbox(c.env, c.req.valid("param").paymentId, c.req.url, c.req.valid("json").payerAccount), 200));

async function onCallback(c: Context<AppEnv>, name: string, accountId: string | undefined) {
  const found = await providerForCallback(c.env, name, accountId, new URL(c.req.url).origin);
  if (!found) throw ApiError.notFound("Payment provider");
  const { provider, tenantId } = found;
  const raw = await c.req.text();
  // A key that cannot be imported (an account saved before keys were checked at save) cannot verify anything: the
  // notice is refused like an unsigned one, and the gateway retries once the account is fixed.
  const verified = await provider.verifyCallback(raw, c.req.raw.headers).catch((e: unknown) => {
    console.error(JSON.stringify({ at: "payment_callback", requestId: c.var.requestId, provider: name, accountId, error: e instanceof Error ? e.message : String(e) }));
    return { ok: false as const, code: "signature_unverifiable", message: "The account's gateway key cannot be used to verify this notice", paymentId: undefined };
  });
  if (!verified.ok) {
    console.warn(JSON.stringify({ at: "payment_callback", requestId: c.var.requestId, provider: name, accountId, refused: verified.code }));
    // A brand's account URL: the brand sees the refused notice (another merchant's or app's, forged, replayed late).
    if (tenantId) await recordRefusedNotice(c.env, tenantId, { provider: name, accountId }, verified.code, verified.paymentId);
    const status = verified.code.startsWith("signature_") ? 401 : 400;
    throw new ApiError(status, verified.code, verified.message);
  }
  const { applied, orderStatus } = await settlePaymentNotice(c.env, provider, tenantId, verified.notice, (work) => c.executionCtx.waitUntil(work), accountId);
  const answer = provider.callbackAck();
  // A gateway's own acknowledgement (WeChat: 204; Alipay: the text "success") where its protocol wants one.
  if (answer) return new Response(answer.body || null, { status: answer.status, headers: { "content-type": answer.contentType } }) as never;
  return c.json({ received: true, applied, orderStatus }, 200);
}

export const paymentRoutes = createRouter()
  .openapi(cashier, async (c) => {
    const html = await cashierPage(c.env, c.req.valid("param").paymentId, new URL(c.req.url).origin);
    c.header("Cache-Control", "no-store");
    return c.html(html, 200);
  })
  .openapi(start, async (c) => {
    const { paymentId } = c.req.valid("param");
    return c.json(await startPayment(c.env, paymentId, c.req.valid("json").provider, new URL(c.req.url).origin, clientIpOf(c.req.raw.headers)), 200);
  })
  .openapi(callback, async (c) => onCallback(c, c.req.valid("param").provider, undefined))
  .openapi(accountCallback, async (c) => onCallback(c, c.req.valid("param").provider, c.req.valid("param").accountId));
