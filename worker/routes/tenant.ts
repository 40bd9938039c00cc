import { createRoute } from "@hono/zod-openapi";
import { Tenant, UpdateTenantInput } from "../../schema/tenancy";
import { getTenant, updateTenant } from "../db/tenants";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["tenant"];

const getOwn = createRoute({
  method: "get",
  path: "/tenant",
  tags,
  summary: "The tenant this key belongs to",
  security: bearerAuth,
  middleware: [requireKey()],
  responses: { 200: json(Tenant, "The tenant"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const patchOwn = createRoute({
  method: "patch",
  path: "/tenant",
  tags,
  summary: "Update the tenant's name, the origins allowed to embed its campaigns, or how long raw analytics events are kept (eventRetentionDays)",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: jsonBody(UpdateTenantInput),
  responses: { 200: json(Tenant, "Updated"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const tenantRoutes = createRouter()
  .openapi(getOwn, async (c) => {
    const tenant = await getTenant(c.env.DB, c.var.principal.tenantId);
    if (!tenant) throw ApiError.notFound("Tenant");
    return c.json(tenant, 200);
  })
  .openapi(patchOwn, async (c) => {
    const { tenantId } = c.var.principal;
    await updateTenant(c.env.DB, tenantId, c.req.valid("json"));
    return c.json((await getTenant(c.env.DB, tenantId))!, 200);
  });
