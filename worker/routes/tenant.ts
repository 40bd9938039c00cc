import { createRoute } from "@hono/zod-openapi";
import { Tenant, UpdateTenantInput } from "../../schema/tenancy";
import { requireKey } from "../middleware/auth";
import { tenantById, updateOwnTenant } from "../services/tenants";
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
  summary: "Update the tenant's name or the origins allowed to embed its campaigns",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: jsonBody(UpdateTenantInput),
  responses: { 200: json(Tenant, "Updated"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const tenantRoutes = createRouter()
  .openapi(getOwn, async (c) => {
    return c.json(await tenantById(c.env, c.var.principal.tenantId), 200);
  })
  .openapi(patchOwn, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await updateOwnTenant(c.env, tenantId, c.req.valid("json"), apiKeyId), 200);
  });
