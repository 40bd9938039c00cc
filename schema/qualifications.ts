import { z } from "@hono/zod-openapi";
import { CampaignKind } from "./campaigns";
import { EligibilityRefusal } from "./eligibility";

/**
 * "What can I get here" (issue 19, 我能领/可用): GET /api/v1/shop/{tenant}/qualifications (shop session) and
 * GET /api/v1/public/{slug}/qualifications (the widget's Bearer session). A guest sees only items open to everyone.
 */
export const QualifiedCampaign = z
  .object({
    campaignId: z.string(),
    kind: CampaignKind,
    name: z.string(),
    endsAt: z.string(),
    /** Whether this buyer passes the campaign's eligibility (and, for a coupon claim, the coupon's own). */
    eligible: z.boolean(),
    /** The first rule that refuses this buyer (null when eligible). */
    refusal: EligibilityRefusal.nullable(),
    /** True when the campaign has a rule (not open to everyone). */
    targeted: z.boolean(),
    /** The page to open (path on the platform origin). */
    url: z.string(),
  })
  .openapi("QualifiedCampaign");
export type QualifiedCampaign = z.infer<typeof QualifiedCampaign>;

export const UsableCoupon = z
  .object({
    voucherId: z.string(),
    code: z.string(),
    productId: z.string(),
    title: z.string(),
    faceValueCents: z.number().int(),
    /** From the coupon product's config when present (threshold, percent, fixed_price, first_order, new_member…). */
    couponKind: z.string().nullable(),
    thresholdCents: z.number().int().nullable(),
    discountCents: z.number().int().nullable(),
    validFrom: z.string(),
    validTo: z.string().nullable(),
  })
  .openapi("UsableCoupon");
export type UsableCoupon = z.infer<typeof UsableCoupon>;

export const Qualifications = z
  .object({
    /** Who was asked about: null = no session (only open items), guest, phone (verified), member. */
    viewer: z.enum(["guest", "phone", "member"]).nullable(),
    /** Campaigns running now, each with whether this buyer may take part. */
    campaigns: z.array(QualifiedCampaign),
    /** Running coupon claims this buyer may still take (eligible, under the per-user limit). */
    couponClaims: z.array(QualifiedCampaign),
    /** Coupons this buyer holds that can be used now (issued, inside their validity). */
    coupons: z.array(UsableCoupon),
    at: z.string(),
  })
  .openapi("Qualifications");
export type Qualifications = z.infer<typeof Qualifications>;
