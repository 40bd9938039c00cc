import { createRoute, z } from "@hono/zod-openapi";
import { CreateApiKeyInput, CreatedApiKey, CreateTenantInput, Tenant } from "../../schema/tenancy";
import { requirePlatformAdmin } from "../middleware/auth";
import { issueApiKey } from "../services/api-keys";
import { allTenants, createTenant as newTenant, tenantByIdOrSlug } from "../services/tenants";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["platform"];
const middleware = [requirePlatformAdmin];

const createTenant = createRoute({
  method: "post",
  path: "/platform/tenants",
  tags,
  summary: "Create a tenant (brand). Platform operator only.",
  security: bearerAuth,
  middleware,
  request: jsonBody(CreateTenantInput),
  responses: { 201: json(Tenant, "Created"), 400: errors[400], 401: errors[401], 409: errors[409], 429: errors[429] },
});

const listAll = createRoute({
  method: "get",
  path: "/platform/tenants",
  tags,
  summary: "List tenants. Platform operator only.",
  security: bearerAuth,
  middleware,
  responses: { 200: json(z.object({ tenants: z.array(Tenant) }), "Tenants"), 401: errors[401], 429: errors[429] },
});

const TenantParam = z.object({ tenantId: z.string().min(1).max(64) });

const createKey = createRoute({
  method: "post",
  path: "/platform/tenants/{tenantId}/keys",
  tags,
  summary: "Create an API key for a tenant. Platform operator only. The secret is shown once.",
  security: bearerAuth,
  middleware,
  request: { params: TenantParam, ...jsonBody(CreateApiKeyInput) },
  responses: { 201: json(CreatedApiKey, "Created"), 400: errors[400], 401: errors[401], 404: errors[404], 429: errors[429] },
});

export const platformRoutes = createRouter()
  .openapi(createTenant, async (c) => {
    return c.json(await newTenant(c.env, c.req.valid("json")), 201);
  })
  .openapi(listAll, async (c) => c.json({ tenants: await allTenants(c.env) }, 200))
  .openapi(createKey, async (c) => {
    const { tenantId } = c.req.valid("param");
    const input = c.req.valid("json");
    const tenant = await tenantByIdOrSlug(c.env, tenantId);
    return c.json(await issueApiKey(c.env, tenant.id, input.name, input.scopes, null), 201);
  });
