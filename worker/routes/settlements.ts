import { createRoute, z } from "@hono/zod-openapi";
import {
  ClosePeriodInput, ExternalAcceptInput, SettlementAgreement, SettlementAgreementInput, SettlementPublicKey, SettlementStatement, SettlementStatementSummary,
} from "../../schema/settlements";
import { requireKey } from "../middleware/auth";
import { enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import {
  acceptExternal, closeOnDemand, decideAgreement, listAgreements, listStatements, proposeAgreement, readStatement, settlementPublicKey, statementCsv,
} from "../services/settlements";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["settlements"];
const admin = [requireKey("admin")];
const Id = z.object({ id: z.string().min(1).max(64) });
const common = { 401: errors[401], 403: errors[403], 429: errors[429] };

const propose = createRoute({
  method: "post", path: "/settlements/agreements", tags, security: bearerAuth, middleware: admin,
  summary: "As the seller (a 卡盟): propose a revenue share for one of your products with the brand that issues it",
  request: jsonBody(SettlementAgreementInput),
  responses: { 201: json(SettlementAgreement, "Proposed; nothing settles until the issuer accepts"), 400: errors[400], 404: errors[404], 409: errors[409], ...common },
});
const list = createRoute({
  method: "get", path: "/settlements/agreements", tags, security: bearerAuth, middleware: admin,
  summary: "Agreements this tenant is a party to, as seller or as issuer",
  responses: { 200: json(z.object({ agreements: z.array(SettlementAgreement) }), "Agreements"), ...common },
});
const decideRoute = (decision: "accept" | "reject") =>
  createRoute({
    method: "post", path: `/settlements/agreements/{id}/${decision}`, tags, security: bearerAuth, middleware: admin,
    summary: decision === "accept" ? "As the issuer: accept a proposed share (from then on it settles)" : "As the issuer: reject a proposed share",
    request: { params: Id },
    responses: { 200: json(SettlementAgreement, "Decided"), 404: errors[404], 409: errors[409], ...common },
  });
const acceptRoute = decideRoute("accept");
const rejectRoute = decideRoute("reject");
const externalAccept = createRoute({
  method: "post", path: "/settlements/agreements/{id}/accept-external", tags,
  summary: "An external issuer (no kaquan key) accepts with the one-time token the seller handed it",
  request: { params: Id, ...jsonBody(ExternalAcceptInput) },
  responses: { 200: json(SettlementAgreement, "Accepted"), 400: errors[400], 404: errors[404], 409: errors[409], 429: errors[429] },
});
const close = createRoute({
  method: "post", path: "/settlements/statements/close", tags, security: bearerAuth, middleware: admin,
  summary: "Close a period now (idempotent: a closed period answers its statement); earlier open periods close first",
  request: jsonBody(ClosePeriodInput),
  responses: { 200: json(SettlementStatement, "The period's signed statement"), 400: errors[400], 404: errors[404], 409: errors[409], ...common },
});
const statements = createRoute({
  method: "get", path: "/settlements/statements", tags, security: bearerAuth, middleware: admin,
  summary: "Statements this tenant is a party to (seller or issuer)",
  responses: { 200: json(z.object({ statements: z.array(SettlementStatementSummary) }), "Statements"), ...common },
});
const one = createRoute({
  method: "get", path: "/settlements/statements/{id}", tags, security: bearerAuth, middleware: admin,
  summary: "A signed statement (JSON; save it and run npm run verify:settlement -- file.json)",
  request: { params: Id },
  responses: { 200: json(SettlementStatement, "Statement"), 404: errors[404], ...common },
});
const csv = createRoute({
  method: "get", path: "/settlements/statements/{id}/csv", tags, security: bearerAuth, middleware: admin,
  summary: "The statement's lines and totals as CSV",
  request: { params: Id },
  responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, 404: errors[404], ...common },
});
const publicKey = createRoute({
  method: "get", path: "/settlements/public-key", tags,
  summary: "The Ed25519 public key statements are signed with (public)",
  responses: { 200: json(SettlementPublicKey, "Key"), 429: errors[429] },
});

export const settlementRoutes = createRouter()
  .openapi(propose, async (c) => c.json(await proposeAgreement(c.env, c.var.principal.tenantId, c.req.valid("json"), c.var.principal.apiKeyId), 201))
  .openapi(list, async (c) => c.json({ agreements: await listAgreements(c.env, c.var.principal.tenantId) }, 200))
  .openapi(acceptRoute, async (c) => c.json(await decideAgreement(c.env, c.var.principal.tenantId, c.req.valid("param").id, "accepted", c.var.principal.apiKeyId), 200))
  .openapi(rejectRoute, async (c) => c.json(await decideAgreement(c.env, c.var.principal.tenantId, c.req.valid("param").id, "rejected", c.var.principal.apiKeyId), 200))
  .openapi(externalAccept, async (c) => {
    await enforceRateLimit(c.env, "settlement-accept", clientIpKey(c), 20, 60);
    return c.json(await acceptExternal(c.env, c.req.valid("param").id, c.req.valid("json").token), 200);
  })
  .openapi(close, async (c) => c.json(await closeOnDemand(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(statements, async (c) => c.json({ statements: await listStatements(c.env, c.var.principal.tenantId) }, 200))
  .openapi(one, async (c) => c.json(await readStatement(c.env, c.var.principal.tenantId, c.req.valid("param").id), 200))
  .openapi(csv, async (c) => {
    const { id } = c.req.valid("param");
    const text = await statementCsv(c.env, c.var.principal.tenantId, id);
    return c.body(text, 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="settlement-${id}.csv"` }) as never;
  })
  .openapi(publicKey, async (c) => {
    await enforceRateLimit(c.env, "public-settlement-key", clientIpKey(c), 120, 60);
    return c.json(await settlementPublicKey(c.env), 200);
  });
