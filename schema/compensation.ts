import { z } from "@hono/zod-openapi";
import { text } from "./text";

export const COMPENSATION_POLICIES = ["replace", "refund", "manual"] as const;
export const CompensationPolicy = z.enum(COMPENSATION_POLICIES).openapi("CompensationPolicy", {
  description: "replace: a fresh key/code from stock (refund when stock is out); refund: money back; manual: the brand decides",
});
export type CompensationPolicy = z.infer<typeof CompensationPolicy>;

export const SetCompensationPolicyInput = z
  .object({
    policy: CompensationPolicy,
    productId: z.string().min(1).max(64).nullable().default(null).openapi({ description: "null = the brand default" }),
    maxReplacements: z.number().int().min(0).max(10).optional().openapi({
      description: "replace: automatic replacements per original voucher (default 1; a report past it waits for the brand). Omitted: unchanged",
    }),
  })
  .strict()
  .openapi("SetCompensationPolicyInput");

export const CompensationPolicies = z
  .object({
    default: CompensationPolicy,
    products: z.record(z.string(), CompensationPolicy),
    maxReplacements: z.object({ default: z.number(), products: z.record(z.string(), z.number()) }),
  })
  .openapi("CompensationPolicies");

export const REPORT_PROBLEMS = ["invalid_key", "already_used", "wrong_value", "other"] as const;
export const ReportVoucherInput = z
  .object({ problem: z.enum(REPORT_PROBLEMS), note: text().trim().max(500).default("") }).strict()
  .openapi("ReportVoucherInput");

export const Complaint = z
  .object({
    id: z.string(),
    voucherCode: z.string(),
    productId: z.string(),
    problem: z.enum(REPORT_PROBLEMS),
    note: z.string(),
    status: z.enum(["open", "replaced", "refunded", "rejected"]),
    policy: CompensationPolicy,
    replacementCode: z.string().nullable(),
    refundCents: z.number().nullable(),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
    escalation: z.enum(["replacement_limit"]).nullable().openapi({
      description: "Why the automatic policy was not applied: replacement_limit = this right was already replaced as often as the policy allows",
    }),
  })
  .openapi("Complaint");
export type Complaint = z.infer<typeof Complaint>;

export const ResolveComplaintInput = z.object({ action: z.enum(["replace", "refund", "reject"]) }).strict().openapi("ResolveComplaintInput");

export const RateVoucherInput = z
  .object({ stars: z.number().int().min(1).max(5), comment: z.string().trim().max(500).default("") }).strict()
  .openapi("RateVoucherInput");

export const Rating = z
  .object({ voucherCode: z.string(), productId: z.string(), stars: z.number(), comment: z.string(), createdAt: z.string() })
  .openapi("Rating");

/** A brand's integrity index and the rates behind it (last 90 days). */
export const IntegrityIndex = z
  .object({
    brand: z.object({ slug: z.string(), name: z.string() }),
    periodDays: z.number(),
    vouchersIssued: z.number(),
    complaints: z.number(),
    compensated: z.number(),
    complaintRate: z.number().openapi({ description: "complaints / vouchers issued" }),
    compensationRate: z.number().openapi({ description: "complaints made good (replaced or refunded) / complaints" }),
    redemptionAttempts: z.number().openapi({ description: "attempts on genuine vouchers, not counting repeats of an already redeemed one nor a redemption the store undid (撤销核销)" }),
    redemptionSuccessRate: z.number(),
    ratingAverage: z.number().nullable(),
    ratings: z.number(),
    score: z.number().openapi({ description: "0-100; see worker/domain/integrity.ts" }),
  })
  .openapi("IntegrityIndex");
export type IntegrityIndex = z.infer<typeof IntegrityIndex>;
