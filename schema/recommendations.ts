/** Recommendations (issue 19 item 7): computed in the warehouse, cached in D1, read at the edge. */
import { z } from "@hono/zod-openapi";

const Id = z.string().min(1).max(64);

/** The cron's signed request to the warehouse for one tenant. */
export const RecommendationsRequest = z
  .object({
    tenantId: Id,
    limit: z.number().int().min(1).max(20).default(8),
    /** Paid orders and views of the last N days count. */
    days: z.number().int().min(1).max(730).default(180),
    maxUsers: z.number().int().min(1).max(20_000).default(5_000),
  })
  .strict();
export type RecommendationsRequest = z.infer<typeof RecommendationsRequest>;

export const ScoredProduct = z.object({ productId: z.string(), score: z.number() });
export type ScoredProduct = z.infer<typeof ScoredProduct>;
export const RecommendationsResult = z.object({
  /** Per product: products its buyers also paid for, by buyers in common, then lift. */
  alsoBought: z.array(z.object({ productId: z.string(), items: z.array(ScoredProduct.extend({ buyers: z.number(), lift: z.number() })) })),
  /** Per buyer: co-purchases of what they bought or viewed, minus what they own, topped up with top products. */
  forYou: z.array(z.object({ userId: z.string(), items: z.array(ScoredProduct) })),
  /** The tenant's most bought products (distinct paying buyers): the fallback for anyone else. */
  top: z.array(ScoredProduct),
});
export type RecommendationsResult = z.infer<typeof RecommendationsResult>;

export const RecommendedProduct = z
  .object({
    id: z.string(),
    name: z.string(),
    subtitle: z.string(),
    kind: z.string(),
    priceCents: z.number(),
    image: z.string().nullable(),
    score: z.number(),
  })
  .openapi("RecommendedProduct");
export type RecommendedProduct = z.infer<typeof RecommendedProduct>;

export const Recommendations = z
  .object({
    surface: z.enum(["also_bought", "for_you"]),
    source: z.enum(["also_bought", "for_you", "top", "none"]).openapi({ description: "for_you falls back to the brand's top products" }),
    computedAt: z.string().nullable().openapi({ description: "When the warehouse last computed this brand's cache" }),
    items: z.array(RecommendedProduct),
  })
  .openapi("Recommendations");
export type Recommendations = z.infer<typeof Recommendations>;

export const RecommendationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(20).default(6) });

export const RecommendationState = z
  .object({
    outcome: z.enum(["refreshed", "failed"]).optional(),
    computedAt: z.string().nullable().openapi({ description: "The cache pages read now was computed then" }),
    attemptedAt: z.string().nullable(),
    lastError: z.string().nullable().openapi({ description: "Why the last refresh failed (the previous cache stays in place)" }),
    lists: z.number().openapi({ description: "Lists in the cache (also-bought per product, for-you per buyer, top)" }),
  })
  .openapi("RecommendationState");
