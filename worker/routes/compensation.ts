import { createRoute, z } from "@hono/zod-openapi";
import {
  Complaint,
  CompensationPolicies,
  IntegrityIndex,
  Rating,
  RateVoucherInput,
  ReportVoucherInput,
  ResolveComplaintInput,
  SetCompensationPolicyInput,
} from "../../schema/compensation";
import { getComplaint, listComplaints, listPolicies, setPolicy, toComplaint, upsertRating } from "../db/complaints";
import { getProductRow } from "../db/products";
import { COMPENSATION } from "../domain/compensation";
import { getTenantBySlug } from "../db/tenants";
import { getVoucherByCode } from "../db/vouchers";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import { clientIp, enforceRateLimit } from "../middleware/rate-limit";
import { requireBuyer, shopper } from "../middleware/shopper";
import { emitEvent } from "../queue/emit";
import { compensate, reportVoucher } from "../services/compensation";
import { brandIntegrity } from "../services/integrity";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["compensation"];
const HolderVoucher = z.object({ tenant: z.string().min(1).max(40), code: z.string().min(4).max(64) });

const report = createRoute({
  method: "post",
  path: "/shop/{tenant}/vouchers/{code}/report",
  tags,
  middleware: [shopper],
  summary: "Report that my voucher does not work; the brand's policy replaces or refunds it automatically, or the brand decides",
  request: { params: HolderVoucher, ...jsonBody(ReportVoucherInput) },
  responses: { 200: json(Complaint, "The complaint and its outcome"), 400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409], 429: errors[429] },
});

const rate = createRoute({
  method: "put",
  path: "/shop/{tenant}/vouchers/{code}/rating",
  tags,
  middleware: [shopper],
  summary: "Rate what I bought (1-5 stars); a second rating replaces the first",
  request: { params: HolderVoucher, ...jsonBody(RateVoucherInput) },
  responses: { 200: json(Rating, "Rating"), 400: errors[400], 401: errors[401], 404: errors[404], 429: errors[429] },
});

const complaints = createRoute({
  method: "get",
  path: "/complaints",
  tags,
  summary: "Complaints about this brand's vouchers, newest first",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  request: { query: z.object({ status: z.enum(["open", "replaced", "refunded", "rejected"]).optional() }) },
  responses: { 200: json(z.object({ complaints: z.array(Complaint) }), "Complaints"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

const resolve = createRoute({
  method: "post",
  path: "/complaints/{complaintId}/resolve",
  tags,
  summary: "Resolve an open complaint by hand: replace, refund or reject",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  request: { params: z.object({ complaintId: z.string().min(1).max(64) }), ...jsonBody(ResolveComplaintInput) },
  responses: { 200: json(Complaint, "Resolved"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409], 429: errors[429] },
});

const getPolicies = createRoute({
  method: "get",
  path: "/compensation-policy",
  tags,
  summary: "The brand's compensation policy (default and per product)",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  responses: { 200: json(CompensationPolicies, "Policies"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const putPolicy = createRoute({
  method: "put",
  path: "/compensation-policy",
  tags,
  summary: "Set the compensation policy (and the replace limit, maxReplacements) for the brand or one product",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: jsonBody(SetCompensationPolicyInput),
  responses: { 200: json(CompensationPolicies, "Policies"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const integrity = createRoute({
  method: "get",
  path: "/brands/{slug}/integrity",
  tags,
  summary: "A brand's integrity index: complaint, compensation and redemption success rates, ratings (public)",
  request: { params: z.object({ slug: z.string().min(1).max(40) }) },
  responses: { 200: json(IntegrityIndex, "Integrity index"), 404: errors[404], 429: errors[429] },
});

async function policies(db: D1Database, tenantId: string) {
  const rows = await listPolicies(db, tenantId);
  const brand = rows.find((r) => r.product_id === "*");
  const products = rows.filter((r) => r.product_id !== "*");
  return {
    default: brand?.policy ?? ("manual" as const),
    products: Object.fromEntries(products.map((r) => [r.product_id, r.policy])),
    maxReplacements: {
      default: brand?.max_replacements ?? COMPENSATION.maxReplacements,
      products: Object.fromEntries(products.map((r) => [r.product_id, r.max_replacements])),
    },
  };
}

export const compensationRoutes = createRouter()
  .openapi(report, async (c) => {
    const buyerId = requireBuyer(c);
    await enforceRateLimit(c.env, "voucher-report", buyerId, 10, 3600);
    const { code } = c.req.valid("param");
    return c.json(await reportVoucher(c.env, c.var.shopper.tenantId, buyerId, code, c.req.valid("json")), 200);
  })
  .openapi(rate, async (c) => {
    const buyerId = requireBuyer(c);
    const { tenantId } = c.var.shopper;
    const v = await getVoucherByCode(c.env.DB, tenantId, c.req.valid("param").code);
    if (!v || v.holder_id !== buyerId) throw ApiError.notFound("Voucher");
    const input = c.req.valid("json");
    const r = (await upsertRating(c.env.DB, { tenantId, voucherId: v.id, voucherCode: v.code, holderId: buyerId, productId: v.product_id, ...input }))!;
    await emitEvent(c.env, { tenantId, type: "voucher_rated", actor: { userId: buyerId }, payload: { voucherId: v.id, productId: v.product_id, stars: input.stars } });
    return c.json({ voucherCode: r.voucher_code, productId: r.product_id, stars: r.stars, comment: r.comment, createdAt: r.created_at }, 200);
  })
  .openapi(complaints, async (c) => {
    const rows = await listComplaints(c.env.DB, c.var.principal.tenantId, c.req.valid("query").status);
    return c.json({ complaints: rows.map(toComplaint) }, 200);
  })
  .openapi(resolve, async (c) => {
    const { tenantId } = c.var.principal;
    const row = await getComplaint(c.env.DB, tenantId, c.req.valid("param").complaintId);
    if (!row) throw ApiError.notFound("Complaint");
    if (row.status !== "open") throw ApiError.conflict("complaint_closed", "This complaint was already resolved");
    return c.json(toComplaint(await compensate(c.env, row, c.req.valid("json").action)), 200);
  })
  .openapi(getPolicies, async (c) => c.json(await policies(c.env.DB, c.var.principal.tenantId), 200))
  .openapi(putPolicy, async (c) => {
    const { tenantId } = c.var.principal;
    const input = c.req.valid("json");
    if (input.productId && !(await getProductRow(c.env.DB, tenantId, input.productId))) throw ApiError.notFound("Product");
    await setPolicy(c.env.DB, tenantId, input.productId, input.policy, input.maxReplacements ?? null);
    return c.json(await policies(c.env.DB, tenantId), 200);
  })
  .openapi(integrity, async (c) => {
    await enforceRateLimit(c.env, "public-integrity", clientIp(c), 120, 60);
    const tenant = await getTenantBySlug(c.env.DB, c.req.valid("param").slug);
    if (!tenant) throw ApiError.notFound("Brand");
    return c.json(await brandIntegrity(c.env, tenant), 200);
  });
