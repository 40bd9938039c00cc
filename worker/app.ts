import { memberPointsRoutes, pointsRoutes } from "./routes/points";
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody } from "../schema/errors";
import { ApiError } from "./errors";
import { publicBodyLimit } from "./middleware/body-limit";
import { campaignOrigins } from "./middleware/campaign-origins";
import { platformCors } from "./middleware/cors";
import { requestId } from "./middleware/request-id";
import { alertRoutes, emailOutboxRoutes } from "./routes/alerts";
import { auditLogRoutes } from "./routes/audit-log";
import { analyticsRoutes } from "./routes/analytics";
import { campaignPublicRoutes } from "./routes/campaign-public";
import { campaignRoutes } from "./routes/campaigns";
import { groupAdminRoutes, groupShopRoutes } from "./routes/groups";
import { growthWidgetRoutes } from "./routes/growth-widget";
import { qualificationRoutes } from "./routes/qualifications";
import { eventRoutes } from "./routes/events";
import { exportRoutes } from "./routes/exports";
import { clientFacing, registerWebhooks } from "./openapi";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { keyRoutes } from "./routes/keys";
import { catalogRoutes } from "./routes/catalog";
import { supplierRoutes } from "./routes/suppliers";
import { ledgerRoutes } from "./routes/ledger";
import { mediaRoutes } from "./routes/media";
import { afterSaleRoutes } from "./routes/after-sale";
import { orderRoutes } from "./routes/orders";
import { paymentRoutes, sandboxGatewayRoutes } from "./routes/payments";
import { paymentAccountRoutes } from "./routes/payment-accounts";
import { shopRoutes, smsOutboxRoutes } from "./routes/shop";
import { nearbyRoutes } from "./routes/nearby";
import { privacyRoutes } from "./routes/privacy";
import { compensationRoutes } from "./routes/compensation";
import { redemptionRoutes } from "./routes/redemptions";
import { storeRoutes } from "./routes/stores";
import { storedValueRoutes } from "./routes/stored-value";
import { platformRoutes } from "./routes/platform";
import { tenantRoutes } from "./routes/tenant";
import { trackRoutes } from "./routes/track";
import { webhookRoutes } from "./routes/webhooks";
import { blocklistRoutes } from "./routes/blocklist";
import { memberAdminRoutes, memberWidgetRoutes, shopMemberRoutes } from "./routes/members";
import { assistAdminRoutes, shopAssistRoutes } from "./routes/assists";
import { outreachRoutes, shopOutreachRoutes } from "./routes/outreach";
import { inviteAdminRoutes, shopInviteRoutes } from "./routes/invites";
import { segmentRoutes } from "./routes/segments";
import { settlementRoutes } from "./routes/settlements";
import { reconRoutes } from "./routes/reconcile";
import type { AppEnv } from "./types";

export const API_BASE = "/api/v1";

export function errorResponse(err: ApiError, requestId: string): Response {
  const headers = new Headers({ ...err.headers, "content-type": "application/json", "x-request-id": requestId });
  return new Response(JSON.stringify(errorBody(err.code, err.message, requestId, err.issues, err.detail)), { status: err.status, headers });
}

/**
 * `sandbox` mounts the development-only routes (the SMS outbox, the sandbox gateway's checkout); a production app
 * does not have them at all, so they are neither reachable nor in its OpenAPI document.
 */
export function createApp({ sandbox = false }: { sandbox?: boolean } = {}) {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", requestId);
  app.use(`${API_BASE}/*`, secureHeaders({ crossOriginResourcePolicy: false }));
  app.use(`${API_BASE}/*`, platformCors(campaignOrigins));

  // Mounted one by one, not chained: a chain merges every route's schema into one type (17 s of each type check), and
  // nothing reads that type (clients come from the OpenAPI document).
  const api = new OpenAPIHono<AppEnv>();
  for (const open of ["/shop/*", "/public/*", "/track"]) api.use(open, publicBodyLimit);
  const routes: OpenAPIHono<AppEnv>[] = [
    healthRoutes,
    docsRoutes,
    platformRoutes,
    tenantRoutes,
    keyRoutes,
    eventRoutes,
    analyticsRoutes,
    exportRoutes,
    trackRoutes,
    ledgerRoutes,
    supplierRoutes,
    catalogRoutes,
    mediaRoutes,
    shopRoutes,
    nearbyRoutes,
    privacyRoutes,
    paymentRoutes,
    paymentAccountRoutes,
    orderRoutes,
    afterSaleRoutes,
    storeRoutes,
    redemptionRoutes,
    storedValueRoutes,
    compensationRoutes,
    campaignRoutes,
    campaignPublicRoutes,
    growthWidgetRoutes,
    qualificationRoutes,
    webhookRoutes,
    alertRoutes,
    blocklistRoutes,
    auditLogRoutes,
    shopMemberRoutes,
    memberWidgetRoutes,
    memberAdminRoutes,
    memberPointsRoutes,
    pointsRoutes,
    groupAdminRoutes,
    groupShopRoutes,
    shopAssistRoutes,
    assistAdminRoutes,
    shopInviteRoutes,
    inviteAdminRoutes,
    segmentRoutes,
    reconRoutes,
    outreachRoutes,
    shopOutreachRoutes,
    settlementRoutes,
  ];
  if (sandbox) routes.push(smsOutboxRoutes, sandboxGatewayRoutes, emailOutboxRoutes);
  for (const r of routes) api.route("/", r);
  registerWebhooks(api.openAPIRegistry);

  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A tenant API key (kq_...) or, for /platform routes, the platform admin token",
  });
  api.get("/openapi.json", (c) =>
    c.json(
      clientFacing(
        api.getOpenAPI31Document({
          openapi: "3.1.0",
          info: { title: "kaquan API", version: "1.0.0", description: "Storefront and campaign engine for digital rights" },
          servers: [{ url: API_BASE }],
        }),
      ),
    ),
  );
  app.route(API_BASE, api);

  app.notFound((c) => {
    return c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`, c.var.requestId ?? crypto.randomUUID()), 404);
  });

  app.onError((e, c) => {
    const id = c.var.requestId ?? crypto.randomUUID();
    let err: ApiError;
    if (e instanceof ApiError) err = e;
    else if (e instanceof HTTPException) {
      // Hono's own 4xx (e.g. malformed JSON): keep the status, use our shape.
      err =
        e.status === 415
          ? // `curl -d '{…}'` without -H 'content-type: application/json' (curl sends a form type): say what to send.
            new ApiError(415, "unsupported_media_type", `This route takes a JSON body: send it with Content-Type: application/json (got ${c.req.header("content-type") ?? "none"})`)
          : new ApiError(e.status as ContentfulStatusCode, e.status === 400 ? "invalid_body" : "http_error", e.message || "Bad request");
    } else {
      console.error(JSON.stringify({ at: "onError", requestId: id, error: e instanceof Error ? e.message : String(e) }));
      err = new ApiError(500, "internal", "Internal error; quote the request id when reporting it");
    }
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    c.header("X-Request-Id", id);
    return c.json(errorBody(err.code, err.message, id, err.issues, err.detail), err.status);
  });
  return app;
}
