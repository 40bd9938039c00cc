import { createRoute, z } from "@hono/zod-openapi";
import { MarginPolicy, MarginPolicyInput, SupplierHealthReport, SyncResult } from "../../schema/suppliers";
import { requireKey } from "../middleware/auth";
import { callbackBodyLimit } from "../middleware/body-limit";
import { handleSupplierCallback } from "../services/supplier-callbacks";
import { setMarginPolicy, supplierHealth, syncSupplierCatalogues } from "../services/supplier-sync";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["suppliers"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };

const callback = createRoute({
  method: "post", path: "/suppliers/callback/{supplierId}", tags, middleware: [callbackBodyLimit],
  summary: "An asynchronous supplier's outcome for one of our orders, signed in the supplier's own scheme",
  description:
    "Body: SupplierCallback fields {orderRef, status succeeded|failed|processing, supplierRef?, reason?} — JSON for kaquan_v1 and hmac_header, " +
    "a form for sorted_md5 / sorted_hmac_sha256 (signature fields as in README 'Suppliers'). Refused: 401 bad signature or timestamp outside ±300 s, " +
    "409 a replayed nonce, 404 unknown supplier or order. Idempotent: only the first final outcome counts (applied=false after).",
  request: { params: z.object({ supplierId: z.string().min(1).max(64) }) },
  responses: {
    200: json(z.object({ received: z.boolean(), applied: z.boolean(), status: z.string(), orderStatus: z.string().nullable() }).openapi("SupplierCallbackAck"), "Acknowledged"),
    400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409], 413: errors[413],
  },
});
const health = createRoute({
  method: "get", path: "/suppliers/health", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Supplier health: success rate, p50/p95 latency, last failures, in-flight orders and live cost/stock per product",
  request: { query: z.object({ hours: z.coerce.number().int().min(1).max(720).default(24) }) },
  responses: { 200: json(SupplierHealthReport, "Health per supplier"), ...common },
});
const sync = createRoute({
  method: "post", path: "/suppliers/sync", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Sync every supplier's live cost and stock now (the cron does it every 10 minutes)",
  responses: { 200: json(SyncResult, "Sync run"), ...common },
});
const margin = createRoute({
  method: "put", path: "/products/{productId}/margin-policy", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Allow (or stop allowing) a product to be sold below its suppliers' live cost; off by default",
  request: { params: z.object({ productId: z.string().min(1).max(64) }), ...jsonBody(MarginPolicyInput) },
  responses: { 200: json(MarginPolicy, "Policy"), 404: errors[404], ...common },
});

export const supplierRoutes = createRouter()
  .openapi(callback, async (c) => {
    const url = new URL(c.req.url);
    // Read as bytes: a form body read with text() makes workerd warn.
    const body = new TextDecoder().decode(await c.req.arrayBuffer());
    const r = await handleSupplierCallback(c.env, c.req.valid("param").supplierId, {
      method: c.req.method, path: `${url.pathname}${url.search}`, header: (n) => c.req.header(n), body,
    });
    return c.json({ received: true, ...r }, 200);
  })
  .openapi(health, async (c) => c.json(await supplierHealth(c.env, c.var.principal.tenantId, c.req.valid("query").hours), 200))
  .openapi(sync, async (c) => {
    const { suppliers, updated, belowCost, failed } = await syncSupplierCatalogues(c.env, new Date(), c.var.principal.tenantId, true);
    return c.json({ suppliers, updated, belowCost, failed }, 200);
  })
  .openapi(margin, async (c) => {
    const productId = c.req.valid("param").productId;
    return c.json(await setMarginPolicy(c.env, c.var.principal.tenantId, productId, c.req.valid("json").allowBelowCost), 200);
  });
