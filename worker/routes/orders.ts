import { createRoute, z } from "@hono/zod-openapi";
import { StopWaitingInput, StopWaitingResult } from "../../schema/after-sale";
import { Order } from "../../schema/orders";
import { Voucher } from "../../schema/vouchers";
import { requireKey } from "../middleware/auth";
import { orderForSupport, refundForOperator, stopWaitingForOperator } from "../services/order-support";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["orders"];
const OrderId = z.object({ orderId: z.string().min(1).max(64) });
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] };

const get = createRoute({
  method: "get", path: "/orders/{orderId}", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "An order with its vouchers (never their secrets), for support",
  request: { params: OrderId },
  responses: { 200: json(z.object({ order: Order, vouchers: z.array(Voucher) }), "Order"), ...common },
});
const refund = createRoute({
  method: "post", path: "/orders/{orderId}/refund", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Refund an order through its payment provider; its unredeemed vouchers become 'refunded'",
  description: "The whole order. A part is POST /orders/{orderId}/refunds; an amountCents (or any other field) here is refused with 400, not ignored into a whole refund.",
  request: { params: OrderId, ...jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: json(Order, "Refunded"), 409: errors[409], ...common },
});

const stopWaiting = createRoute({
  method: "post", path: "/orders/{orderId}/stop-waiting", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Stop waiting for a supplier that keeps a recharge pending: the line fails, so the order goes to the next supplier or is refunded",
  description: "Allowed once a supplier has had the recharge 10 minutes (409 supplier_recently_placed before; 409 not_waiting_on_supplier when none is). The supplier is asked to cancel the line (撤单) first: only its confirmed cancel (or its word that the line failed) fails the line; a line it says it recharged is delivered. A supplier recharging it now (409 supplier_cannot_cancel) or not answering (409 supplier_cancel_unanswered) leaves it pending: nothing changed, try again later — unless the operator attests that the supplier confirmed the cancel another way (supplierConfirmedCancel: the line fails too).",
  request: { params: OrderId, ...jsonBody(StopWaitingInput) },
  responses: { 200: json(StopWaitingResult, "The order after (delivered, at the next supplier (paid) or refunded), with each supplier's answer"), 409: errors[409], ...common },
});

export const orderRoutes = createRouter()
  .openapi(get, async (c) => c.json(await orderForSupport(c.env, c.var.principal.tenantId, c.req.valid("param").orderId), 200))
  .openapi(refund, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await refundForOperator(c.env, tenantId, c.req.valid("param").orderId, c.req.valid("json").reason, apiKeyId), 200);
  })
  .openapi(stopWaiting, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await stopWaitingForOperator(c.env, tenantId, c.req.valid("param").orderId, c.req.valid("json"), apiKeyId), 200);
  });
