import { createRoute, z } from "@hono/zod-openapi";
import { Segment, SegmentInput, SegmentList, SegmentPatch, SegmentPreview, SegmentRules, SegmentUploadReport } from "../../schema/segments";
import { requireKey } from "../middleware/auth";
import {
  computeSegment, createSegment, exportMembersCsv, patchSegment, previewRules, previewSegment, segmentList, segmentView, uploadSegment,
} from "../services/segments";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["segments"];
const auth = { tags, security: bearerAuth, middleware: [requireKey("admin")] };
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };
const Param = z.object({ segmentId: z.string().min(1).max(64) });
const Csv = z.string().min(1).max(2_000_000).openapi({ description: "CSV text: one member id, card number, buyer id or mainland mobile number per row (a header naming the column is optional)" });

const list = createRoute({ method: "get", path: "/segments", ...auth, summary: "List segments with their size and latest run", responses: { 200: json(SegmentList, "Segments"), ...common } });
const create = createRoute({
  method: "post", path: "/segments", ...auth, summary: "Define a segment by rules (computed in the warehouse; tier, tags and city applied at the edge)",
  request: jsonBody(SegmentInput), responses: { 201: json(Segment, "Created (size 0 until computed)"), ...common },
});
const one = createRoute({ method: "get", path: "/segments/{segmentId}", ...auth, summary: "One segment (with the latest run's progress)", request: { params: Param }, responses: { 200: json(Segment, "Segment"), 404: errors[404], ...common } });
const edit = createRoute({
  method: "patch", path: "/segments/{segmentId}", ...auth, summary: "Change a segment's name, rules, refresh or status (members change at the next compute)",
  request: { params: Param, ...jsonBody(SegmentPatch) }, responses: { 200: json(Segment, "Changed"), 404: errors[404], ...common },
});
const previewDraft = createRoute({
  method: "post", path: "/segments/preview", ...auth, summary: "Size and a masked sample of 20 for rules not yet saved, with the warehouse's SQL time",
  request: jsonBody(z.object({ rules: SegmentRules }).strict()), responses: { 200: json(SegmentPreview, "Preview"), ...common },
});
const previewOne = createRoute({
  method: "get", path: "/segments/{segmentId}/preview", ...auth, summary: "Size and a masked sample of a saved rules segment, computed now",
  request: { params: Param }, responses: { 200: json(SegmentPreview, "Preview"), 404: errors[404], ...common },
});
const compute = createRoute({
  method: "post", path: "/segments/{segmentId}/compute", ...auth,
  summary: "Compute the segment now (or resume its unfinished run); members reach the edge in one swap",
  description: "200 when the run finished and was swapped in; 202 when pages remain (the cron continues the run; poll GET /segments/{id} for run.members).",
  request: { params: Param }, responses: { 200: json(Segment, "Computed"), 202: json(Segment, "Still running"), 404: errors[404], 409: errors[409], ...common },
});
const uploadNew = createRoute({
  method: "post", path: "/segments/uploads", ...auth, summary: "A segment from a CSV of member ids / card numbers / phones (phones hashed on arrival, never stored)",
  request: jsonBody(z.object({ name: z.string().trim().min(1).max(80), csv: Csv }).strict()), responses: { 201: json(SegmentUploadReport, "Uploaded"), ...common },
});
const uploadInto = createRoute({
  method: "post", path: "/segments/{segmentId}/upload", ...auth, summary: "Replace an uploaded segment's members with a new CSV",
  request: { params: Param, ...jsonBody(z.object({ csv: Csv }).strict()) }, responses: { 200: json(SegmentUploadReport, "Uploaded"), 404: errors[404], 409: errors[409], ...common },
});
const file = { schema: z.string() };
const exportCsv = createRoute({
  method: "get", path: "/segments/{segmentId}/members.csv", ...auth, summary: "The segment's current members as CSV: member_id, card_no, buyer_id (never phones)",
  request: { params: Param }, responses: { 200: { description: "CSV", content: { "text/csv": file } }, 404: errors[404], ...common },
});

export const segmentRoutes = createRouter()
  .openapi(list, async (c) => c.json({ segments: await segmentList(c.env, c.var.principal.tenantId) }, 200))
  .openapi(create, async (c) => c.json(await createSegment(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(previewDraft, async (c) => c.json(await previewRules(c.env, c.var.principal.tenantId, c.req.valid("json").rules), 200))
  .openapi(uploadNew, async (c) => c.json(await uploadSegment(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(one, async (c) => c.json(await segmentView(c.env, c.var.principal.tenantId, c.req.valid("param").segmentId), 200))
  .openapi(edit, async (c) => c.json(await patchSegment(c.env, c.var.principal.tenantId, c.req.valid("param").segmentId, c.req.valid("json")), 200))
  .openapi(previewOne, async (c) => c.json(await previewSegment(c.env, c.var.principal.tenantId, c.req.valid("param").segmentId), 200))
  .openapi(compute, async (c) => {
    const s = await computeSegment(c.env, c.var.principal.tenantId, c.req.valid("param").segmentId);
    return s.run?.status === "running" ? c.json(s, 202) : c.json(s, 200);
  })
  .openapi(uploadInto, async (c) => {
    const { segmentId } = c.req.valid("param");
    return c.json(await uploadSegment(c.env, c.var.principal.tenantId, { segmentId, csv: c.req.valid("json").csv }), 200);
  })
  .openapi(exportCsv, async (c) => {
    const out = await exportMembersCsv(c.env, c.var.principal.tenantId, c.req.valid("param").segmentId);
    return new Response(out.body, {
      status: 200,
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${out.filename}"`, "cache-control": "no-store" },
    }) as never;
  });
