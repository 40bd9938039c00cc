import { z } from "@hono/zod-openapi";
import { text } from "./text";

/** Membership (issue 17): tiers with their privileges, growth rules, the member card and the operator's views. */
const Id = z.string().min(1).max(64);
const ProductIds = z.array(Id).max(20).default([]);

export const TierPrivileges = z
  .object({
    /** Percent off shop prices for members of the tier (0-90). */
    percentOff: z.number().int().min(0).max(90).default(0),
    /** Free coupon products issued once a month (the monthly coupon pack). */
    monthlyCouponProductIds: ProductIds,
    /** Extra lottery chances per campaign on top of its per-user limit. */
    extraLotteryChances: z.number().int().min(0).max(20).default(0),
    /** Products only members of this tier (or a tier listing them too) may buy. */
    memberOnlyProductIds: ProductIds,
    /** Free products issued once in the member's birthday month (needs a birthday, given with consent). */
    birthdayGiftProductIds: ProductIds,
  })
  .strict()
  .openapi("TierPrivileges");
export type TierPrivileges = z.output<typeof TierPrivileges>;

export const TierInput = z
  .object({
    name: text().trim().min(1).max(40),
    rank: z.number().int().min(0).max(20),
    growthThreshold: z.number().int().min(0).max(100_000_000),
    privileges: TierPrivileges.default(TierPrivileges.parse({})),
  })
  .strict()
  .openapi("TierInput");

export const Tier = z
  .object({ id: Id, name: z.string(), rank: z.number().int(), growthThreshold: z.number().int(), privileges: TierPrivileges })
  .openapi("Tier");
export type Tier = z.output<typeof Tier>;

/** The member actions growth rules may reward (each wired where it happens: check-in, store redemption). */
export const GROWTH_ACTIONS = ["check_in", "redemption"] as const;
export type GrowthAction = (typeof GROWTH_ACTIONS)[number];
const ActionGrowth = z.number().int().min(0).max(100_000);

export const GrowthRules = z
  .object({
    /** Growth per yuan paid (orders). */
    perYuan: z.number().min(0).max(1000).default(1),
    /**
     * Growth per action, e.g. { "redemption": 5, "check_in": 1 }: check_in once per daily check-in, redemption once
     * per voucher redeemed at a store by a member. Any other key is refused (nothing would earn it).
     */
    actions: z
      .object({ check_in: ActionGrowth.optional(), redemption: ActionGrowth.optional() } satisfies Record<GrowthAction, unknown>)
      .strict()
      .default({}),
    /** Days between a yearly review's grace notice and the downgrade. */
    graceDays: z.number().int().min(0).max(365).default(30),
  })
  .strict()
  .openapi("GrowthRules");
export type GrowthRules = z.output<typeof GrowthRules>;

export const HistoryEntry = z
  .object({ id: Id, kind: z.string(), detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), at: z.string() })
  .openapi("MemberHistoryEntry");

export const MemberCard = z
  .object({
    memberId: Id,
    cardNo: z.string(),
    joinedAt: z.string(),
    joinedVia: z.string(),
    growth: z.number().int(),
    pointsBalance: z.number().int(),
    tier: Tier.nullable(),
    /** The earned tier (growth); tier above is the better of it and a valid paid card's. */
    earnedTierId: Id.nullable(),
    paidCard: z.object({ tierId: Id, validUntil: z.string() }).nullable(),
    /**
     * Until when the earned tier holds for sure: its yearly review (growth of the last 12 months must still reach the
     * tier's threshold), or the end of a grace period already given; null without an earned tier or for one that
     * needs no growth (it cannot be lost).
     */
    tierReviewAt: z.string().nullable(),
    /** The tier above, and what it gives (the member centre says what 升级 brings). */
    nextTier: z.object({ id: Id, name: z.string(), growthThreshold: z.number().int(), growthNeeded: z.number().int(), progressPercent: z.number(), privileges: TierPrivileges }).nullable(),
    privileges: TierPrivileges,
    birthday: z.string().nullable(),
    /** The member's own city (member centre), for city offers; null = the request's location is used. */
    city: z.string().nullable().optional(),
    tags: z.array(z.string()),
    history: z.array(HistoryEntry),
  })
  .openapi("MemberCard");
export type MemberCard = z.output<typeof MemberCard>;

export const MemberView = z.object({ member: MemberCard.nullable() }).openapi("MemberView");

/**
 * The operator's search result: the phone only masked, never the number. tierId / tierName: the tier in force (as on
 * the member's own card: a valid paid card's tier when it ranks higher); earnedTierId: the tier growth reached.
 */
export const MemberSummary = z
  .object({
    memberId: Id, buyerId: Id, cardNo: z.string(), maskedPhone: z.string().nullable(), tierId: Id.nullable(), tierName: z.string().nullable(), earnedTierId: Id.nullable(),
    growth: z.number().int(), pointsBalance: z.number().int(), tags: z.array(z.string()), joinedAt: z.string(), paidUntil: z.string().nullable(),
  })
  .openapi("MemberSummary");

export const MemberSearchQuery = z.object({
  q: z.string().trim().max(40).optional().openapi({ description: "Card number (prefix), or the phone's last 4 digits (a query of 4 or more characters also matches its last 4 against the phone)" }),
  tierId: Id.optional().openapi({ description: "The tier in force (a valid paid card's tier counts when it ranks above the earned one)" }),
  tag: z.string().max(20).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const Tags = z.array(z.string().trim().min(1).max(20)).max(20);
export const TagsInput = z.object({ tags: Tags }).strict().openapi("MemberTagsInput");

/** Birthday month-day; only stored while the buyer's marketing consent stands (the birthday gift is marketing). */
export const BirthdayInput = z
  .object({ birthday: z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, "MM-DD") })
  .strict()
  .openapi("BirthdayInput");

/** The member's city for city offers (issue 19 eligibility); null clears it. */
export const CityInput = z
  .object({ city: z.string().trim().min(1).max(40).nullable() })
  .strict()
  .openapi("MemberCityInput");

export const PaidCardPlanInput = z
  .object({
    tierId: Id,
    months: z.number().int().min(1).max(36),
    giftProductIds: ProductIds,
    monthlyProductIds: ProductIds,
  })
  .strict()
  .openapi("PaidCardPlanInput");
export const PaidCardPlan = PaidCardPlanInput.extend({ productId: Id }).openapi("PaidCardPlan");
