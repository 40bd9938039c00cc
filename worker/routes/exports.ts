import { createRoute, z } from "@hono/zod-openapi";
import { ExportDataset, ExportQuery } from "../../schema/exports";
import { requireKey } from "../middleware/auth";
import { enforceRateLimit } from "../middleware/rate-limit";
import { exportDataset } from "../services/exports";
import { bearerAuth, createRouter, errors } from "./router";

const EXPORTS_PER_MIN = 60; // per key: a backfill resumes page ranges, a dashboard never exports

const file = { schema: z.string().openapi({ format: "binary" }) };
const route = createRoute({
  method: "get",
  path: "/exports/{dataset}",
  tags: ["analytics"],
  summary: "Export raw events, orders, payments (charges and refunds), vouchers, redemptions or members for a time range",
  description:
    "Streamed (no size limit), scoped to the key's tenant, in (time, id) order. Every row carries `cursor`: pass the " +
    "last received row's cursor to resume after it. People appear by id only (no phone numbers, codes or card keys).",
  security: bearerAuth,
  middleware: [requireKey("analyst")],
  request: { params: z.object({ dataset: ExportDataset }), query: ExportQuery },
  responses: {
    200: { description: "The file", content: { "application/x-ndjson": file, "text/csv": file, "application/vnd.apache.parquet": file } },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    429: errors[429],
  },
});

export const exportRoutes = createRouter().openapi(route, async (c) => {
  const { tenantId, apiKeyId } = c.var.principal;
  await enforceRateLimit(c.env, "exports", apiKeyId, EXPORTS_PER_MIN, 60);
  const out = await exportDataset(c.env, tenantId, c.req.valid("param").dataset, c.req.valid("query"));
  return new Response(out.body, {
    status: 200,
    headers: {
      "content-type": out.contentType,
      "content-disposition": `attachment; filename="${out.filename}"`,
      "cache-control": "no-store",
      "x-request-id": c.var.requestId,
    },
  }) as never;
});
