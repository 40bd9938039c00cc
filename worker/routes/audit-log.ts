import { createRoute } from "@hono/zod-openapi";
import { AuditLogPage, AuditLogQuery } from "../../schema/audit";
import { requireKey } from "../middleware/auth";
import { readAuditLog } from "../services/audit";
import { bearerAuth, createRouter, errors, json } from "./router";

const list = createRoute({
  method: "get",
  path: "/audit-log",
  tags: ["audit"],
  summary: "Changes made with this tenant's API keys, newest first (admin key only; secrets masked)",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: { query: AuditLogQuery },
  responses: { 200: json(AuditLogPage, "One page of the audit log"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const auditLogRoutes = createRouter().openapi(list, async (c) => c.json(await readAuditLog(c.env, c.var.principal.tenantId, c.req.valid("query")), 200));
