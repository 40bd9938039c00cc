import { z } from "@hono/zod-openapi";
import { text } from "./text";

/**
 * Segments (issue 19 item 3): operator-defined groups of buyers. A `rules` segment is computed in the warehouse from
 * events (user_id = buyer id) and narrowed at the edge by D1 member facts (tier, tags, city); an `upload` segment is a
 * CSV of member ids / card numbers or phones. Every rule given must hold (AND); an empty list or a missing rule is open.
 */
const Id = z.string().min(1).max(64).regex(/^[\w.:-]+$/, "letters, digits, _ . : -");
const Days = z.number().int().min(1).max(730);
const Cents = z.number().int().min(0).max(100_000_000_000);
const Count = z.number().int().min(0).max(1_000_000);

function band<T extends z.ZodTypeAny>(v: T) {
  return z
    .object({ min: v.optional(), max: v.optional() })
    .strict()
    .refine((b) => b.min !== undefined || b.max !== undefined, { message: "give min, max or both" })
    .refine((b) => b.min === undefined || b.max === undefined || (b.min as number) <= (b.max as number), { message: "min must not exceed max", path: ["max"], params: { reason: "below_min" } });
}

export const SegmentRules = z
  .object({
    /** R: days since the last paid order (buyers with no paid order never match). */
    recencyDays: band(z.number().int().min(0).max(730)).optional(),
    /** F: paid orders (order_paid) ever. */
    frequency: band(Count).optional(),
    /** M: paid cents ever (sum of order_paid.amountCents). */
    monetaryCents: band(Cents).optional(),
    /** Active once (any event), but no event at all in the last N days. */
    dormantDays: Days.optional(),
    /** Viewed (product_viewed / page_view) one of these products or campaigns — any when both lists are empty — in the last N days, and no paid order since that view. */
    viewedNotBought: z
      .object({ days: Days, productIds: z.array(Id).max(50).default([]), campaignIds: z.array(Id).max(50).default([]) })
      .strict()
      .optional(),
    /** High lifetime value: paid cents ≥ minCents, or in the top P% of paying buyers by paid cents (one of the two). */
    highLtv: z
      .object({ minCents: Cents.optional(), topPercent: z.number().min(0.1).max(100).optional() })
      .strict()
      .refine((h) => (h.minCents === undefined) !== (h.topPercent === undefined), { message: "give exactly one of minCents and topPercent" })
      .optional(),
    /** Member facts (D1, applied at the edge): effective tier is one of these. */
    tierIds: z.array(Id).max(20).default([]),
    /** Member carries every one of these tags. */
    tags: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
    /** Member's city is one of these. */
    cities: z.array(z.string().trim().min(1).max(40)).max(50).default([]),
  })
  .strict()
  .openapi("SegmentRules");
export type SegmentRules = z.output<typeof SegmentRules>;

/** The rules the warehouse evaluates (behaviour); tier/tags/city stay at the edge. */
export const WarehouseSegmentRules = SegmentRules.omit({ tierIds: true, tags: true, cities: true }).openapi("WarehouseSegmentRules");
export type WarehouseSegmentRules = z.output<typeof WarehouseSegmentRules>;

export const hasMemberFilters = (r: SegmentRules) => r.tierIds.length > 0 || r.tags.length > 0 || r.cities.length > 0;
export const hasBehaviourRules = (r: SegmentRules) =>
  [r.recencyDays, r.frequency, r.monetaryCents, r.dormantDays, r.viewedNotBought, r.highLtv].some((x) => x !== undefined);

const anyRule = (r: SegmentRules) => hasBehaviourRules(r) || hasMemberFilters(r);

/** Signed body of the warehouse's POST /v1/segments/compute (one keyset page) and /v1/segments/preview. */
export const SegmentComputeRequest = z
  .object({
    tenantId: z.string().min(1).max(64),
    rules: WarehouseSegmentRules,
    /** Evaluation instant (ISO); default now. A resumed run passes its run's instant so every page sees the same data. */
    asOf: z.iso.datetime().optional(),
    /** Keyset: user ids strictly after this one. */
    after: z.string().max(64).default(""),
    limit: z.number().int().min(1).max(5000).default(5000),
  })
  .strict();
export type SegmentComputeRequest = z.output<typeof SegmentComputeRequest>;
export const SegmentComputePage = z.object({ userIds: z.array(z.string()), size: z.number(), nextAfter: z.string().nullable() });
export type SegmentComputePage = z.infer<typeof SegmentComputePage>;
export const SegmentPreviewRequest = SegmentComputeRequest.pick({ tenantId: true, rules: true, asOf: true });
export const SegmentPreviewAnswer = z.object({ size: z.number(), sample: z.array(z.string()), tookMs: z.number() });
export type SegmentPreviewAnswer = z.infer<typeof SegmentPreviewAnswer>;

// Admin API
export const SegmentInput = z
  .object({
    name: text().trim().min(1).max(80),
    rules: SegmentRules,
    /** Recompute every N minutes from the cron (0 = on demand only). */
    refreshMinutes: z.number().int().min(0).max(10_080).default(0),
  })
  .strict()
  .refine((s) => anyRule(s.rules), { message: "a segment needs at least one rule", path: ["rules"] })
  .openapi("SegmentInput");
export const SegmentPatch = z
  .object({
    name: text().trim().min(1).max(80).optional(),
    rules: SegmentRules.refine(anyRule, { message: "a segment needs at least one rule" }).optional(),
    refreshMinutes: z.number().int().min(0).max(10_080).optional(),
    status: z.enum(["active", "archived"]).optional(),
  })
  .strict()
  .openapi("SegmentPatch");

export const SegmentRun = z
  .object({
    id: Id,
    status: z.enum(["running", "done", "failed"]),
    members: z.number().openapi({ description: "Members written so far" }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
  })
  .openapi("SegmentRun");

export const Segment = z
  .object({
    id: Id,
    name: z.string(),
    source: z.enum(["rules", "upload"]),
    rules: SegmentRules.nullable(),
    refreshMinutes: z.number(),
    status: z.enum(["active", "archived"]),
    size: z.number(),
    computedAt: z.string().nullable(),
    run: SegmentRun.nullable().openapi({ description: "The latest run (running: its progress)" }),
    createdAt: z.string(),
  })
  .openapi("Segment");
export type Segment = z.infer<typeof Segment>;
export const SegmentList = z.object({ segments: z.array(Segment) }).openapi("SegmentList");

export const SegmentPreview = z
  .object({
    size: z.number().openapi({ description: "Buyers matching the behaviour rules in the warehouse" }),
    memberFiltered: z.boolean().openapi({ description: "Tier/tags/city rules apply at the edge: the sample is filtered, size is before them" }),
    sample: z.array(z.string()).openapi({ description: "Up to 20 matching buyer ids, masked" }),
    tookMs: z.number().openapi({ description: "The warehouse's SQL time" }),
  })
  .openapi("SegmentPreview");

export const SegmentUploadReport = z
  .object({
    segment: Segment,
    rows: z.number(),
    matched: z.number(),
    unmatched: z.number().openapi({ description: "Rows naming no buyer of this brand (never stored)" }),
    invalid: z.array(z.object({ line: z.number(), message: z.string() })).max(100),
  })
  .openapi("SegmentUploadReport");
