import { createRoute, z } from "@hono/zod-openapi";
import { AlertNoticeList, AlertSettings, SandboxEmail, UpdateAlertSettingsInput } from "../../schema/alerts";
import { isDevelopment } from "../domain/deploy-config";
import { readEmailOutbox } from "../email/sandbox";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import { alertSettings, recentAlerts, updateAlertSettings } from "../services/alerts";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["alerts"];
const common = { 401: errors[401], 403: errors[403], 429: errors[429] };

const read = createRoute({
  method: "get", path: "/alerts/settings", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Where alerts go (e-mail, SMS; webhook endpoints subscribed to `alert` too) and the quiet period",
  responses: { 200: json(AlertSettings, "Settings"), ...common },
});
const write = createRoute({
  method: "put", path: "/alerts/settings", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Change alert contacts or the quiet period (fields left out keep their value)",
  request: jsonBody(UpdateAlertSettingsInput),
  responses: { 200: json(AlertSettings, "Saved"), 400: errors[400], ...common },
});
const list = createRoute({
  method: "get", path: "/alerts", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Recent alerts (one per kind + subject), most recently raised first, at most 50: seen in the console even with no contacts set",
  responses: { 200: json(AlertNoticeList, "Alerts"), ...common },
});
const outbox = createRoute({
  method: "get", path: "/dev/email", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Development only: what the e-mail sandbox sent for this tenant (not mounted in production)",
  responses: { 200: json(z.object({ messages: z.array(SandboxEmail) }), "Messages"), ...common },
});

export const alertRoutes = createRouter()
  .openapi(list, async (c) => c.json({ alerts: await recentAlerts(c.env, c.var.principal.tenantId) }, 200))
  .openapi(read, async (c) => c.json(await alertSettings(c.env, c.var.principal.tenantId), 200))
  .openapi(write, async (c) => c.json(await updateAlertSettings(c.env, c.var.principal.tenantId, c.req.valid("json")), 200));

/** The e-mail sandbox's outbox: development only (app.ts does not mount it in production). */
export const emailOutboxRoutes = createRouter().openapi(outbox, async (c) => {
  if (!isDevelopment(c.env)) throw ApiError.notFound("Route");
  return c.json({ messages: await readEmailOutbox(c.env.DB, c.var.principal.tenantId) }, 200);
});
