import { createRoute, z } from "@hono/zod-openapi";
import { AnalyticsNames, METRIC_NAMES, METRICS, metricResponse, type MetricName, type WarehouseQuery } from "../../schema/analytics";
import { ErrorBody } from "../../schema/errors";
import { requireKey } from "../middleware/auth";
import { enforceRateLimit } from "../middleware/rate-limit";
import { analyticsNames } from "../services/analytics";
import { warehouseRead } from "../services/warehouse";
import type { AppEnv } from "../types";
import type { Context } from "hono";
import { bearerAuth, createRouter, errors, json } from "./router";

const QUERIES_PER_MIN = 600; // per analyst key: a dashboard load is ~25 queries (KPI tiles, views, 会员 section)

const MetricList = z
  .object({ metrics: z.array(z.object({ name: z.string(), summary: z.string(), path: z.string() })) })
  .openapi("AnalyticsMetricList");

const list = createRoute({
  method: "get",
  path: "/analytics",
  tags: ["analytics"],
  summary: "The dashboard metrics this API serves",
  security: bearerAuth,
  middleware: [requireKey("analyst")],
  responses: { 200: json(MetricList, "Metrics"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

/**
 * The tenant is the analyst key's tenant, never a parameter (params are strict: a tenantId param is a 400).
 * The warehouse re-validates the params and trusts the tenant only inside the HMAC-signed body.
 */
async function forward(c: Context<AppEnv>, metric: MetricName, params: Record<string, unknown>) {
  const { tenantId, apiKeyId } = c.var.principal;
  await enforceRateLimit(c.env, "analytics", apiKeyId, QUERIES_PER_MIN, 60);
  return warehouseRead<Record<string, unknown>>(c.env, `/v1/query/${metric}`, { metric, tenantId, params } satisfies WarehouseQuery);
}

const names = createRoute({
  method: "get",
  path: "/analytics/names",
  tags: ["analytics"],
  summary: "Names of this tenant's campaigns, products, suppliers and membership tiers, for labelling metric rows",
  security: bearerAuth,
  middleware: [requireKey("analyst")],
  responses: { 200: json(AnalyticsNames, "Names by id"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const analyticsRoutes = createRouter()
  .openapi(list, (c) =>
    c.json({ metrics: METRIC_NAMES.map((name) => ({ name, summary: METRICS[name].summary, path: `/analytics/${name}` })) }, 200),
  )
  .openapi(names, async (c) => c.json(await analyticsNames(c.env, c.var.principal.tenantId), 200));

for (const name of METRIC_NAMES) {
  const { params, row, summary } = METRICS[name];
  const route = createRoute({
    method: "get",
    path: `/analytics/${name}`,
    tags: ["analytics"],
    summary,
    description: "Scoped to the analyst key's tenant. JSON for dashboards and BI tools.",
    security: bearerAuth,
    middleware: [requireKey("analyst")],
    request: { query: params },
    responses: {
      200: json(metricResponse(row).openapi(`AnalyticsResult_${name}`), "Rows"),
      400: errors[400],
      401: errors[401],
      403: errors[403],
      429: errors[429],
      503: json(ErrorBody, "Warehouse unavailable"),
    },
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  analyticsRoutes.openapi(route, (async (c: Context<AppEnv> & { req: { valid(t: "query"): Record<string, unknown> } }) =>
    c.json(await forward(c, name, c.req.valid("query")), 200)) as never);
}
