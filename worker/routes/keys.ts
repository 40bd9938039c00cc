import { createRoute, z } from "@hono/zod-openapi";
import { ApiKey, CreateApiKeyInput, CreatedApiKey } from "../../schema/tenancy";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import { issueApiKey, listKeys, revokeKey } from "../services/api-keys";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["keys"];
const middleware = [requireKey("admin")];

const list = createRoute({
  method: "get",
  path: "/keys",
  tags,
  summary: "List this tenant's API keys (never their secrets)",
  security: bearerAuth,
  middleware,
  responses: { 200: json(z.object({ keys: z.array(ApiKey) }), "Keys"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const create = createRoute({
  method: "post",
  path: "/keys",
  tags,
  summary: "Create an API key for this tenant; the secret is in this response only",
  security: bearerAuth,
  middleware,
  request: jsonBody(CreateApiKeyInput),
  responses: { 201: json(CreatedApiKey, "Created"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

const revoke = createRoute({
  method: "delete",
  path: "/keys/{keyId}",
  tags,
  summary: "Revoke an API key of this tenant",
  security: bearerAuth,
  middleware,
  request: { params: z.object({ keyId: z.string().min(1).max(64) }) },
  responses: { 200: json(ApiKey, "Revoked"), 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

export const keyRoutes = createRouter()
  .openapi(list, async (c) => c.json({ keys: await listKeys(c.env, c.var.principal.tenantId) }, 200))
  .openapi(create, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    const input = c.req.valid("json");
    return c.json(await issueApiKey(c.env, tenantId, input.name, input.scopes, apiKeyId), 201);
  })
  .openapi(revoke, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    const key = await revokeKey(c.env, tenantId, c.req.valid("param").keyId, apiKeyId);
    if (!key) throw ApiError.notFound("API key");
    return c.json(key, 200);
  });
