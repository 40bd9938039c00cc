import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Assist, AssistHome, LiveAssists, AssistInput, AssistList, AssistRequestView, AssistStats, AssistStatusInput } from "../../schema/assists";
import { deviceOfRequest } from "../domain/device-token";
import { requireKey } from "../middleware/auth";
import { clientIp } from "../middleware/rate-limit";
import { requireBuyer, shopper } from "../middleware/shopper";
import { assistForOperator, assistHome, createAssist, help, listWithStats, liveAssists, setStatus, startRequest, viewRequest } from "../services/assists";
import type { AppEnv } from "../types";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

// Friend assist (助力, issue 18): the storefront's request and help, the operator's activities.
const shopTags = ["store"];
const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const AssistId = z.object({ assistId: z.string().min(1).max(64) });
const Code = z.object({ code: z.string().min(4).max(32) });
const shopErrors = { 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409], 429: errors[429] };

const device = (c: Context<AppEnv>) => deviceOfRequest(c.env.BUYER_SESSION_SECRET, c.var.shopper.tenantId, c.var.shopper.slug, c.req.raw.headers);

const live = createRoute({
  method: "get", path: "/shop/{tenant}/assists", tags: shopTags, middleware: [shopper],
  summary: "The brand's running assist activities", request: { params: Tenant },
  responses: { 200: json(LiveAssists, "Activities"), ...shopErrors },
});
const home = createRoute({
  method: "get", path: "/shop/{tenant}/assists/{assistId}", tags: shopTags, middleware: [shopper],
  summary: "An assist activity (reward, goal, hours, rules) and my latest request in it", request: { params: Tenant.extend(AssistId.shape) },
  responses: { 200: json(AssistHome, "Activity"), ...shopErrors },
});
const start = createRoute({
  method: "post", path: "/shop/{tenant}/assists/{assistId}/requests", tags: shopTags, middleware: [shopper],
  summary: "Start my request for helps (members only; one open request per member per activity — a repeat answers it)",
  request: { params: Tenant.extend(AssistId.shape) },
  responses: { 201: json(AssistRequestView, "Started"), 200: json(AssistRequestView, "My open request"), ...shopErrors },
});
const view = createRoute({
  method: "get", path: "/shop/{tenant}/assist-requests/{code}", tags: shopTags, middleware: [shopper],
  summary: "A request as its link shows it: progress, countdown, helpers masked", request: { params: Tenant.extend(Code.shape) },
  responses: { 200: json(AssistRequestView, "Request"), ...shopErrors },
});
const helpRoute = createRoute({
  method: "post", path: "/shop/{tenant}/assist-requests/{code}/help", tags: shopTags, middleware: [shopper],
  summary: "Help a friend's request: once per friend and per device per activity, never your own, never after its time (409 assist_expired)",
  request: { params: Tenant.extend(Code.shape) },
  responses: { 200: json(AssistRequestView, "Counted"), ...shopErrors },
});

export const shopAssistRoutes = createRouter()
  .openapi(live, async (c) => c.json({ assists: await liveAssists(c.env, c.var.shopper.tenantId) }, 200))
  .openapi(home, async (c) => {
    const { tenantId, buyerId } = c.var.shopper;
    return c.json(await assistHome(c.env, tenantId, c.req.valid("param").assistId, buyerId), 200);
  })
  .openapi(start, async (c) => {
    const { tenantId } = c.var.shopper;
    const out = await startRequest(c.env, tenantId, c.req.valid("param").assistId, requireBuyer(c), await device(c));
    return out.created ? c.json(out.view, 201) : c.json(out.view, 200);
  })
  .openapi(view, async (c) => c.json(await viewRequest(c.env, c.var.shopper.tenantId, c.req.valid("param").code, c.var.shopper.buyerId), 200))
  .openapi(helpRoute, async (c) => {
    const buyerId = requireBuyer(c);
    return c.json(await help(c.env, c.var.shopper.tenantId, c.req.valid("param").code, { buyerId, deviceId: await device(c), ip: clientIp(c) }), 200);
  });

const tags = ["assists"];
const operator = [requireKey("operator")];
const admin = [requireKey("admin")];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };

const create = createRoute({
  method: "post", path: "/assists", tags, security: bearerAuth, middleware: admin,
  summary: "Create an assist activity: reward product (coupon or card key), goal N helps within T hours, window, helper entry rules",
  request: jsonBody(AssistInput), responses: { 201: json(Assist, "Created"), 422: errors[400], ...common },
} satisfies RouteConfig);
const list = createRoute({
  method: "get", path: "/assists", tags, security: bearerAuth, middleware: operator, summary: "Assist activities with requests, helps, goals reached, rewards and refusals by reason",
  responses: { 200: json(AssistList, "Activities"), ...common },
});
const one = createRoute({
  method: "get", path: "/assists/{assistId}", tags, security: bearerAuth, middleware: operator, summary: "One activity's numbers and its latest requests",
  request: { params: AssistId }, responses: { 200: json(AssistStats, "Activity"), 404: errors[404], ...common },
});
const status = createRoute({
  method: "post", path: "/assists/{assistId}/status", tags, security: bearerAuth, middleware: admin, summary: "Close (or reopen) an activity",
  request: { params: AssistId, ...jsonBody(AssistStatusInput) }, responses: { 200: json(Assist, "Activity"), 404: errors[404], ...common },
});

export const assistAdminRoutes = createRouter()
  .openapi(create, async (c) => c.json(await createAssist(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(list, async (c) => c.json({ assists: await listWithStats(c.env, c.var.principal.tenantId) }, 200))
  .openapi(one, async (c) => c.json(await assistForOperator(c.env, c.var.principal.tenantId, c.req.valid("param").assistId), 200))
  .openapi(status, async (c) => c.json(await setStatus(c.env, c.var.principal.tenantId, c.req.valid("param").assistId, c.req.valid("json").status), 200));
