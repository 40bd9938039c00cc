import { createRoute, z } from "@hono/zod-openapi";
import { ReconItem, ReconResolveInput, ReconRun, ReconRunDetail, ReconRunInput, ReconRunList, ReconRunsQuery, ReconUploadInput } from "../../schema/reconcile";
import { requireKey } from "../middleware/auth";
import { resolveItem, runCsv, runDetail, runNow, runsList, uploadStatement } from "../services/reconcile";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const auth = { tags: ["reconciliation"], security: bearerAuth, middleware: [requireKey("admin")] };
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };
const RunParam = z.object({ runId: z.string().min(1).max(64) });
const ItemParam = z.object({ itemId: z.string().min(1).max(64) });

const list = createRoute({
  method: "get", path: "/recon/runs", ...auth, summary: "Reconciliation runs (对账), newest day first, with their totals",
  request: { query: ReconRunsQuery }, responses: { 200: json(ReconRunList, "Runs"), ...common },
});
const run = createRoute({
  method: "post", path: "/recon/runs", ...auth,
  summary: "Reconcile a day now: one source, or every payment provider and supplier of the tenant (a rerun replaces open items, keeps resolved ones)",
  request: jsonBody(ReconRunInput), responses: { 200: json(ReconRunList, "The runs"), 404: errors[404], ...common },
});
const upload = createRoute({
  method: "post", path: "/recon/uploads", ...auth, summary: "Reconcile a day against an uploaded provider statement (the provider's own bill format)",
  request: jsonBody(ReconUploadInput), responses: { 200: json(ReconRun, "The run"), 404: errors[404], ...common },
});
const one = createRoute({
  method: "get", path: "/recon/runs/{runId}", ...auth, summary: "A run's totals and its items (open first)",
  request: { params: RunParam }, responses: { 200: json(ReconRunDetail, "Run"), 404: errors[404], ...common },
});
const csv = createRoute({
  method: "get", path: "/recon/runs/{runId}/csv", ...auth, summary: "A run as CSV: totals, then one line per item",
  request: { params: RunParam }, responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, 404: errors[404], ...common },
});
const resolve = createRoute({
  method: "post", path: "/recon/items/{itemId}/resolve", ...auth, summary: "Resolve an item with a note (audited)",
  request: { params: ItemParam, ...jsonBody(ReconResolveInput) }, responses: { 200: json(ReconItem, "Resolved"), 404: errors[404], 409: errors[409], ...common },
});

export const reconRoutes = createRouter()
  .openapi(list, async (c) => c.json(await runsList(c.env, c.var.principal.tenantId, c.req.valid("query")), 200))
  .openapi(run, async (c) => {
    const b = c.req.valid("json");
    return c.json(await runNow(c.env, c.var.principal.tenantId, b.day, b.source), 200);
  })
  .openapi(upload, async (c) => c.json(await uploadStatement(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(one, async (c) => c.json(await runDetail(c.env, c.var.principal.tenantId, c.req.valid("param").runId), 200))
  .openapi(csv, async (c) => {
    const out = await runCsv(c.env, c.var.principal.tenantId, c.req.valid("param").runId);
    return new Response(out.body, {
      status: 200,
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${out.filename}"`, "cache-control": "no-store" },
    }) as never;
  })
  .openapi(resolve, async (c) => {
    const { principal } = c.var;
    return c.json(await resolveItem(c.env, principal.tenantId, c.req.valid("param").itemId, c.req.valid("json").note, principal.apiKeyId), 200);
  });
