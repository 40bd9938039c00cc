import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import {
  DirectIssueInput, DirectIssueResult, Issuance, IssuanceInput, IssuanceList, IssuanceReport, OutreachMessageList, OutreachSettings, UnsubscribeInput,
  UnsubscribeQuery, UnsubscribeView,
} from "../../schema/outreach";
import { requireKey } from "../middleware/auth";
import { shopper } from "../middleware/shopper";
import { advanceIssuance, directIssue, issuanceOf, issuanceReport, issuancesOf, reportCsv, startIssuance } from "../services/issuances";
import { getOutreachSettings, messageLog, saveOutreachSettings, unsubscribe, viewUnsubscribe } from "../services/outreach";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

// Targeted issuance and lifecycle messaging (issue 19 items 4 and 5): operator routes and the public unsubscribe.
const tags = ["outreach"];
const operator = [requireKey("operator")];
const admin = [requireKey("admin")];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };
const IssuanceId = z.object({ issuanceId: z.string().min(1).max(64) });
const ReportQuery = z.object({ format: z.enum(["json", "csv"]).default("json") });

const start = createRoute({
  method: "post", path: "/issuances", tags, security: bearerAuth, middleware: admin,
  summary: "Issue a coupon product to a segment's current members (holdout kept out, default 10%); the cron works through it in pages",
  request: jsonBody(IssuanceInput), responses: { 201: json(Issuance, "Started"), 409: errors[409], 422: errors[400], ...common },
} satisfies RouteConfig);
const list = createRoute({
  method: "get", path: "/issuances", tags, security: bearerAuth, middleware: operator, summary: "Segment issuances, newest first, with progress",
  responses: { 200: json(IssuanceList, "Issuances"), ...common },
});
const one = createRoute({
  method: "get", path: "/issuances/{issuanceId}", tags, security: bearerAuth, middleware: operator, summary: "An issuance's progress (issued / holdout / failed / total)",
  request: { params: IssuanceId }, responses: { 200: json(Issuance, "Issuance"), 404: errors[404], ...common },
});
const advance = createRoute({
  method: "post", path: "/issuances/{issuanceId}/advance", tags, security: bearerAuth, middleware: admin,
  summary: "Work through the next page now instead of waiting for the cron (safe to repeat: nobody is issued twice)",
  request: { params: IssuanceId }, responses: { 200: json(Issuance, "Issuance"), 404: errors[404], ...common },
});
const report = createRoute({
  method: "get", path: "/issuances/{issuanceId}/report", tags, security: bearerAuth, middleware: operator,
  summary: "The report: counts, failures by reason, messages (JSON, or CSV with ?format=csv)",
  request: { params: IssuanceId, query: ReportQuery },
  responses: { 200: { description: "Report", content: { "application/json": { schema: IssuanceReport }, "text/csv": { schema: z.string() } } }, 404: errors[404], ...common },
});
const direct = createRoute({
  method: "post", path: "/issuances/direct", tags, security: bearerAuth, middleware: admin,
  summary: "Issue a coupon to one member (idempotent by clientKey; notified like a targeted issuance)",
  request: jsonBody(DirectIssueInput), responses: { 200: json(DirectIssueResult, "Issued (or the earlier answer)"), 409: errors[409], 422: errors[400], ...common },
} satisfies RouteConfig);
const getSettings = createRoute({
  method: "get", path: "/outreach/settings", tags, security: bearerAuth, middleware: operator, summary: "Messaging (cap, quiet hours, channel) and lifecycle flows",
  responses: { 200: json(OutreachSettings, "Settings"), ...common },
});
const putSettingsRoute = createRoute({
  method: "put", path: "/outreach/settings", tags, security: bearerAuth, middleware: admin, summary: "Set messaging and lifecycle flows",
  request: jsonBody(OutreachSettings), responses: { 200: json(OutreachSettings, "Saved"), 422: errors[400], ...common },
} satisfies RouteConfig);
const messages = createRoute({
  method: "get", path: "/outreach/messages", tags, security: bearerAuth, middleware: operator, summary: "Latest messages (sent, deferred, suppressed) and counts per flow",
  responses: { 200: json(OutreachMessageList, "Messages"), ...common },
});

export const outreachRoutes = createRouter()
  .openapi(start, async (c) => c.json(await startIssuance(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(list, async (c) => c.json({ issuances: await issuancesOf(c.env, c.var.principal.tenantId) }, 200))
  .openapi(direct, async (c) => c.json(await directIssue(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(one, async (c) => c.json(await issuanceOf(c.env, c.var.principal.tenantId, c.req.valid("param").issuanceId), 200))
  .openapi(advance, async (c) => c.json(await advanceIssuance(c.env, c.var.principal.tenantId, c.req.valid("param").issuanceId), 200))
  .openapi(report, async (c) => {
    const r = await issuanceReport(c.env, c.var.principal.tenantId, c.req.valid("param").issuanceId);
    if (c.req.valid("query").format === "json") return c.json(r, 200);
    return c.body(reportCsv(r), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="issuance-${r.issuance.id}.csv"` }) as never;
  })
  .openapi(getSettings, async (c) => c.json(await getOutreachSettings(c.env, c.var.principal.tenantId), 200))
  .openapi(putSettingsRoute, async (c) => c.json(await saveOutreachSettings(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(messages, async (c) => c.json(await messageLog(c.env, c.var.principal.tenantId), 200));

const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const shopErrors = { 400: errors[400], 404: errors[404], 429: errors[429] };
const viewUnsub = createRoute({
  method: "get", path: "/shop/{tenant}/unsubscribe", tags: ["store"], middleware: [shopper], summary: "What an unsubscribe link withdraws (signed token from the message)",
  request: { params: Tenant, query: UnsubscribeQuery }, responses: { 200: json(UnsubscribeView, "Link"), ...shopErrors },
});
const doUnsub = createRoute({
  method: "post", path: "/shop/{tenant}/unsubscribe", tags: ["store"], middleware: [shopper], summary: "One tap: no more messages of this flow (or all, withdrawing marketing consent)",
  request: { params: Tenant, ...jsonBody(UnsubscribeInput) }, responses: { 200: json(UnsubscribeView, "Unsubscribed"), ...shopErrors },
});

export const shopOutreachRoutes = createRouter()
  .openapi(viewUnsub, async (c) => c.json(await viewUnsubscribe(c.env, c.var.shopper.tenantId, c.req.valid("query").token), 200))
  .openapi(doUnsub, async (c) => {
    const { token, all } = c.req.valid("json");
    return c.json(await unsubscribe(c.env, c.var.shopper.tenantId, token, all), 200);
  });
