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
import { hasScope } from "../domain/api-keys";
import { requireKey } from "../middleware/auth";
import { enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import { requireBuyer, shopper } from "../middleware/shopper";
import { compensationPolicies, complaintsOf, rateVoucher, reportVoucher, resolveComplaint, setCompensationPolicy } from "../services/compensation";
import { brandIntegrityBySlug } from "../services/integrity";
import { ErrorBody } from "../../schema/errors";
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
  responses: {
    200: json(Complaint, "The complaint and its outcome"), 400: errors[400], 401: errors[401], 404: errors[404], 409: errors[409],
    422: json(ErrorBody, "voucher_report_not_applicable: a direct recharge is serviced by an after-sale ticket on its order"), 429: errors[429],
  },
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
  summary: "Resolve an open complaint by hand: replace, refund (admin) or reject",
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

export const compensationRoutes = createRouter()
  .openapi(report, async (c) => {
    const buyerId = requireBuyer(c);
    await enforceRateLimit(c.env, "voucher-report", buyerId, 10, 3600);
    const { code } = c.req.valid("param");
    return c.json(await reportVoucher(c.env, c.var.shopper.tenantId, buyerId, code, c.req.valid("json")), 200);
  })
  .openapi(rate, async (c) => {
    const buyerId = requireBuyer(c);
    return c.json(await rateVoucher(c.env, c.var.shopper.tenantId, buyerId, c.req.valid("param").code, c.req.valid("json")), 200);
  })
  .openapi(complaints, async (c) => {
    return c.json({ complaints: await complaintsOf(c.env, c.var.principal.tenantId, c.req.valid("query").status) }, 200);
  })
  .openapi(resolve, async (c) => {
    const { tenantId, scopes } = c.var.principal;
    return c.json(await resolveComplaint(c.env, tenantId, c.req.valid("param").complaintId, c.req.valid("json").action, hasScope(scopes, "admin")), 200);
  })
  .openapi(getPolicies, async (c) => c.json(await compensationPolicies(c.env, c.var.principal.tenantId), 200))
  .openapi(putPolicy, async (c) => c.json(await setCompensationPolicy(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(integrity, async (c) => {
    await enforceRateLimit(c.env, "public-integrity", clientIpKey(c), 120, 60);
    return c.json(await brandIntegrityBySlug(c.env, c.req.valid("param").slug), 200);
  });
