import { createRoute, z } from "@hono/zod-openapi";
import {
  CreatedWebhookEndpoint, CreateWebhookEndpointInput, ReplayRangeInput, ReplayResult, RotatedWebhookSecret, RotateWebhookSecretInput,
  UpdateWebhookEndpointInput, WebhookAttempt, WebhookDelivery, WebhookDeliveryQuery, WebhookEndpoint, WebhookLogQuery,
} from "../../schema/webhooks";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import {
  changeEndpoint, createEndpoint, deliveryWithAttempts, endpointAttempts, endpointById, endpointDeliveries, endpointList, removeEndpoint, replay,
  rotateSecret,
} from "../services/webhooks";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["webhooks"];
const admin = [requireKey("admin")];
const operator = [requireKey("operator")];
const common = { 401: errors[401], 403: errors[403], 429: errors[429] };
const EndpointParam = z.object({ endpointId: z.string().min(1).max(64) });
const DeliveryParam = z.object({ deliveryId: z.string().min(1).max(200) });

const list = createRoute({
  method: "get", path: "/webhooks/endpoints", tags, security: bearerAuth, middleware: operator,
  summary: "This tenant's webhook endpoints (never their secrets)",
  responses: { 200: json(z.object({ endpoints: z.array(WebhookEndpoint) }), "Endpoints"), ...common },
});
const create = createRoute({
  method: "post", path: "/webhooks/endpoints", tags, security: bearerAuth, middleware: admin,
  summary: "Add an endpoint; its signing secret is in this response only",
  request: jsonBody(CreateWebhookEndpointInput),
  responses: { 201: json(CreatedWebhookEndpoint, "Created"), 400: errors[400], ...common },
});
const read = createRoute({
  method: "get", path: "/webhooks/endpoints/{endpointId}", tags, security: bearerAuth, middleware: operator,
  summary: "One endpoint", request: { params: EndpointParam },
  responses: { 200: json(WebhookEndpoint, "Endpoint"), 404: errors[404], ...common },
});
const update = createRoute({
  method: "patch", path: "/webhooks/endpoints/{endpointId}", tags, security: bearerAuth, middleware: admin,
  summary: "Change an endpoint's URL, event types, filter, or enable/disable it",
  request: { params: EndpointParam, ...jsonBody(UpdateWebhookEndpointInput) },
  responses: { 200: json(WebhookEndpoint, "Updated"), 400: errors[400], 404: errors[404], ...common },
});
const remove = createRoute({
  method: "delete", path: "/webhooks/endpoints/{endpointId}", tags, security: bearerAuth, middleware: admin,
  summary: "Delete an endpoint with its deliveries and log", request: { params: EndpointParam },
  responses: { 200: json(z.object({ deleted: z.literal(true) }), "Deleted"), 404: errors[404], ...common },
});
const rotate = createRoute({
  method: "post", path: "/webhooks/endpoints/{endpointId}/rotate-secret", tags, security: bearerAuth, middleware: admin,
  summary: "New signing secret (shown once); the old one also signs until the overlap ends",
  request: { params: EndpointParam, body: { content: { "application/json": { schema: RotateWebhookSecretInput } }, required: false } },
  responses: { 200: json(RotatedWebhookSecret, "Rotated"), 400: errors[400], 404: errors[404], ...common },
});
const deliveries = createRoute({
  method: "get", path: "/webhooks/endpoints/{endpointId}/deliveries", tags, security: bearerAuth, middleware: operator,
  summary: "Deliveries to an endpoint, newest first; status=failed lists its dead letters", request: { params: EndpointParam, query: WebhookDeliveryQuery },
  responses: { 200: json(z.object({ deliveries: z.array(WebhookDelivery), nextCursor: z.string().nullable() }), "Deliveries"), 400: errors[400], 404: errors[404], ...common },
});
const attempts = createRoute({
  method: "get", path: "/webhooks/endpoints/{endpointId}/attempts", tags, security: bearerAuth, middleware: operator,
  summary: "The delivery log of an endpoint: every attempt with status code, response excerpt (≤ 1 KB), duration and next retry",
  request: { params: EndpointParam, query: WebhookLogQuery },
  responses: { 200: json(z.object({ attempts: z.array(WebhookAttempt), nextCursor: z.string().nullable() }), "Attempts"), 400: errors[400], 404: errors[404], ...common },
});
const deliveryAttempts = createRoute({
  method: "get", path: "/webhooks/deliveries/{deliveryId}", tags, security: bearerAuth, middleware: operator,
  summary: "One delivery with its attempts", request: { params: DeliveryParam },
  responses: { 200: json(z.object({ delivery: WebhookDelivery, attempts: z.array(WebhookAttempt) }), "Delivery"), 404: errors[404], ...common },
});
const replayOne = createRoute({
  method: "post", path: "/webhooks/deliveries/{deliveryId}/replay", tags, security: bearerAuth, middleware: operator,
  summary: "Send one delivery again (same webhook-id, a fresh 3-day retry window)", request: { params: DeliveryParam },
  responses: { 202: json(ReplayResult, "Queued"), 404: errors[404], ...common },
});
const replayRange = createRoute({
  method: "post", path: "/webhooks/endpoints/{endpointId}/replay", tags, security: bearerAuth, middleware: operator,
  summary: "Send again every delivery of this endpoint whose event occurred in [from, to)",
  request: { params: EndpointParam, ...jsonBody(ReplayRangeInput) },
  responses: { 202: json(ReplayResult, "Queued"), 400: errors[400], 404: errors[404], 409: errors[409], ...common },
});

export const webhookRoutes = createRouter()
  .openapi(list, async (c) => c.json(await endpointList(c.env, c.var.principal.tenantId), 200))
  .openapi(create, async (c) => c.json(await createEndpoint(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(read, async (c) => c.json(await endpointById(c.env, c.var.principal.tenantId, c.req.valid("param").endpointId), 200))
  .openapi(update, async (c) =>
    c.json(await changeEndpoint(c.env, c.var.principal.tenantId, c.req.valid("param").endpointId, c.req.valid("json")), 200))
  .openapi(remove, async (c) => {
    await removeEndpoint(c.env, c.var.principal.tenantId, c.req.valid("param").endpointId);
    return c.json({ deleted: true as const }, 200);
  })
  .openapi(rotate, async (c) => {
    const body = RotateWebhookSecretInput.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) throw ApiError.fromZod(body.error, "json");
    return c.json(await rotateSecret(c.env, c.var.principal.tenantId, c.req.valid("param").endpointId, body.data.overlapMinutes), 200);
  })
  .openapi(deliveries, async (c) =>
    c.json(await endpointDeliveries(c.env, c.var.principal.tenantId, c.req.valid("param").endpointId, c.req.valid("query")), 200))
  .openapi(attempts, async (c) =>
    c.json(await endpointAttempts(c.env, c.var.principal.tenantId, c.req.valid("param").endpointId, c.req.valid("query")), 200))
  .openapi(deliveryAttempts, async (c) => c.json(await deliveryWithAttempts(c.env, c.var.principal.tenantId, c.req.valid("param").deliveryId), 200))
  .openapi(replayOne, async (c) =>
    c.json({ replayed: (await replay(c.env, c.var.principal.tenantId, { deliveryId: c.req.valid("param").deliveryId })).length }, 202))
  .openapi(replayRange, async (c) => {
    const { from, to } = c.req.valid("json");
    const ids = await replay(c.env, c.var.principal.tenantId, { endpointId: c.req.valid("param").endpointId, from, to });
    return c.json({ replayed: ids.length }, 202);
  });
