import { createRoute } from "@hono/zod-openapi";
import { MemberSecret, RotateMemberSecretInput, Tenant, UpdateTenantInput } from "../../schema/tenancy";
import { rotateMemberSecret } from "../services/members";
import { requireKey } from "../middleware/auth";
import { tenantById, updateOwnTenant } from "../services/tenants";
import { bearerAuth, createRouter, errors, json, jsonBody, optionalJsonBody } from "./router";

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

const memberSecret = createRoute({
  method: "post",
  path: "/tenant/member-token-secret",
  tags,
  summary: "Create or rotate the secret the brand signs member tokens with (shown once; the previous one verifies for overlapMinutes)",
  description: "Member tokens let the widget bind a visitor to the brand's own member id: kqm1.<base64url JSON {aud: tenant slug, sub: member id, exp: unix s}>.<base64url HMAC-SHA256(secret, 'kqm1.' + payload)>. See the README, 'Brand member tokens'.",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: optionalJsonBody(RotateMemberSecretInput),
  responses: { 201: json(MemberSecret, "The new secret"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const tenantRoutes = createRouter()
  .openapi(getOwn, async (c) => {
    return c.json(await tenantById(c.env, c.var.principal.tenantId), 200);
  })
  .openapi(patchOwn, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await updateOwnTenant(c.env, tenantId, c.req.valid("json"), apiKeyId), 200);
  })
  .openapi(memberSecret, async (c) => {
    const tenant = await tenantById(c.env, c.var.principal.tenantId);
    const { overlapMinutes } = c.req.valid("json");
    return c.json(await rotateMemberSecret(c.env, tenant.id, tenant.slug, overlapMinutes ?? 60), 201);
  });
