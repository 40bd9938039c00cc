import { z } from "@hono/zod-openapi";

/**
 * Who may claim a campaign or hold/use a coupon (issue 19). Every listed condition must hold (AND); inside a list any
 * entry matches (OR). An empty rule admits everyone. Evaluated by worker/domain/eligibility.ts over BuyerFacts.
 */
const Id = z.string().min(1).max(64);

export const ELIGIBILITY_RULES = ["segment", "new_user", "first_order", "tier", "birthday_month", "city"] as const;
export const EligibilityRuleName = z.enum(ELIGIBILITY_RULES).openapi("EligibilityRuleName");
export type EligibilityRuleName = z.infer<typeof EligibilityRuleName>;

export const Eligibility = z
  .object({
    /** Member of any of these segments (synced to the edge: segment_members). */
    segmentIds: z.array(Id).max(10).default([]),
    /** Signed up at most newUserDays ago. */
    newUser: z.boolean().default(false),
    newUserDays: z.number().int().min(1).max(365).default(7),
    /** No paid order yet with this brand. */
    firstOrder: z.boolean().default(false),
    /** Effective member tier is one of these. */
    tierIds: z.array(Id).max(20).default([]),
    /** It is the member's birthday month (a birthday given with consent). */
    birthdayMonth: z.boolean().default(false),
    /** The buyer's city (member profile, else the request's edge location) is one of these, e.g. "上海" or "Shanghai". */
    cities: z.array(z.string().trim().min(1).max(40)).max(50).default([]),
  })
  .strict()
  .openapi("Eligibility");
export type Eligibility = z.output<typeof Eligibility>;
export const OPEN_ELIGIBILITY: Eligibility = Eligibility.parse({});

/** What the evaluator needs to know of one buyer (loaded once per request; O(1) lookups only on the claim path). */
export interface BuyerFacts {
  /** Segments this buyer belongs to (only those the rule names need be loaded). */
  segmentIds: ReadonlySet<string>;
  signedUpAt: string | null;
  paidOrders: number;
  tierId: string | null;
  /** MM-DD or null. */
  birthday: string | null;
  city: string | null;
}

/** A refusal names the first rule that failed (409 not_eligible, details[0].code = rule). */
export const EligibilityRefusal = z
  .object({ rule: EligibilityRuleName, message: z.string() })
  .openapi("EligibilityRefusal");
export type EligibilityRefusal = z.infer<typeof EligibilityRefusal>;
