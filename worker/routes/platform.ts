import { createRoute, z } from "@hono/zod-openapi";
import { CreateApiKeyInput, CreatedApiKey, CreateTenantInput, Tenant } from "../../schema/tenancy";
import { newId } from "../domain/crypto";
import { getTenant, getTenantBySlug, insertTenant, listTenants } from "../db/tenants";
import { ApiError } from "../errors";
import { requirePlatformAdmin } from "../middleware/auth";
import { emitEvent } from "../queue/emit";
import { issueApiKey } from "../services/api-keys";
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
    const input = c.req.valid("json");
    if (await getTenantBySlug(c.env.DB, input.slug)) {
      throw ApiError.conflict("slug_taken", `A tenant with slug '${input.slug}' already exists`);
    }
    const id = newId("tn");
    await insertTenant(c.env.DB, { id, ...input });
    await emitEvent(c.env, { tenantId: id, type: "tenant_created", payload: { slug: input.slug } });
    return c.json((await getTenant(c.env.DB, id))!, 201);
  })
  .openapi(listAll, async (c) => c.json({ tenants: await listTenants(c.env.DB) }, 200))
  .openapi(createKey, async (c) => {
    const { tenantId } = c.req.valid("param");
    const input = c.req.valid("json");
    const tenant = (await getTenant(c.env.DB, tenantId)) ?? (await getTenantBySlug(c.env.DB, tenantId));
    if (!tenant) throw ApiError.notFound("Tenant");
    return c.json(await issueApiKey(c.env, tenant.id, input.name, input.scopes, null), 201);
  });
