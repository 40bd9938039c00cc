import { createRoute, z } from "@hono/zod-openapi";
import { BlockEntry, BlockList, CreateBlockInput, RiskSummary, UpdateBlockInput } from "../../schema/risk";
import { loadCampaign } from "../services/campaigns";
import { ApiError } from "../errors";
import { requireKey, requirePlatformAdmin } from "../middleware/auth";
import { addBlock, block, blocks, changeBlock, removeBlock } from "../services/blocklist";
import { riskSummary } from "../services/risk-decisions";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";
import type { Context } from "hono";
import type { AppEnv } from "../types";

const EntryParam = z.object({ entryId: z.string().min(1).max(64) });
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };

/** The same five routes for a tenant's list (operator key) and the platform's (platform admin token). */
function crud(base: string, tags: string[], middleware: ReturnType<typeof requireKey>[], who: string) {
  const list = createRoute({ method: "get", path: base, tags, security: bearerAuth, middleware, summary: `List ${who} block entries (newest first; expired ones show active: false)`,
    responses: { 200: json(BlockList, "Entries"), ...common } });
  const add = createRoute({ method: "post", path: base, tags, security: bearerAuth, middleware,
    summary: `Block a phone (stored as a keyed hash), a device or an IP range (CIDR, IPv4/IPv6) ${who}; the same kind + value again replaces reason and expiry`,
    request: jsonBody(CreateBlockInput), responses: { 201: json(BlockEntry, "Blocked"), ...common } });
  const one = createRoute({ method: "get", path: `${base}/{entryId}`, tags, security: bearerAuth, middleware, summary: "One block entry",
    request: { params: EntryParam }, responses: { 200: json(BlockEntry, "Entry"), 404: errors[404], ...common } });
  const edit = createRoute({ method: "patch", path: `${base}/{entryId}`, tags, security: bearerAuth, middleware, summary: "Change a block entry's reason or expiry",
    request: { params: EntryParam, ...jsonBody(UpdateBlockInput) }, responses: { 200: json(BlockEntry, "Changed"), 404: errors[404], ...common } });
  const remove = createRoute({ method: "delete", path: `${base}/{entryId}`, tags, security: bearerAuth, middleware, summary: "Lift a block",
    request: { params: EntryParam }, responses: { 204: { description: "Removed" }, 404: errors[404], ...common } });
  return { list, add, one, edit, remove };
}

const tenantRoutes = crud("/blocklist", ["risk"], [requireKey("operator")], "of this brand");
const platformRoutes = crud("/platform/blocklist", ["platform"], [requirePlatformAdmin], "platform-wide");

const summary = createRoute({
  method: "get", path: "/campaigns/{campaignId}/risk", tags: ["risk"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Risk decisions on a campaign's claims: counts by decision (allowed is sampled and scaled) and the top reasons",
  request: { params: z.object({ campaignId: z.string().min(1).max(64) }), query: z.object({ days: z.coerce.number().int().min(1).max(90).default(30) }) },
  responses: { 200: json(RiskSummary, "Summary"), 404: errors[404], ...common },
});

const scopeOf = (platform: boolean) => (c: Context<AppEnv>) => (platform ? null : c.var.principal.tenantId);

function mount(r: ReturnType<typeof crud>, platform: boolean) {
  const tenant = scopeOf(platform);
  return createRouter()
    .openapi(r.list, async (c) => c.json({ entries: await blocks(c.env, tenant(c)) }, 200))
    .openapi(r.add, async (c) => c.json(await addBlock(c.env, tenant(c), c.req.valid("json")), 201))
    .openapi(r.one, async (c) => c.json(await block(c.env, tenant(c), c.req.valid("param").entryId), 200))
    .openapi(r.edit, async (c) => c.json(await changeBlock(c.env, tenant(c), c.req.valid("param").entryId, c.req.valid("json")), 200))
    .openapi(r.remove, async (c) => {
      await removeBlock(c.env, tenant(c), c.req.valid("param").entryId);
      return c.body(null, 204);
    });
}

export const blocklistRoutes = createRouter()
  .route("/", mount(tenantRoutes, false))
  .route("/", mount(platformRoutes, true))
  .openapi(summary, async (c) => {
    const { tenantId } = c.var.principal;
    const { campaignId } = c.req.valid("param");
    await loadCampaign(c.env, tenantId, campaignId); // 404 unless the tenant's own
    return c.json(await riskSummary(c.env, tenantId, campaignId, c.req.valid("query").days), 200);
  });
