import { z } from "@hono/zod-openapi";
import { Instant } from "./instant";

/**
 * Contracts of the analytics query API: params arrive as query strings at the worker (hence coercion) and again,
 * inside a signed body, at the warehouse, which re-validates them with the same schemas. The tenant is never a
 * param: the worker takes it from the analyst key.
 */
const DAY_MS = 86_400_000;
const Id = z.string().min(1).max(64).regex(/^[\w.:-]+$/, "letters, digits, _ . : -");

const range = {
  from: Instant.default(() => new Date(Date.now() - 90 * DAY_MS).toISOString()).openapi({ description: "Start (inclusive), ISO date-time, or a date (00:00 China time); default 90 days ago", example: "2026-08-01" }),
  to: Instant.default(() => new Date(Date.now() + 60_000).toISOString()).openapi({ description: "End (exclusive), ISO date-time, or a date (00:00 China time); default now", example: "2026-11-01" }),
};
const campaign = { campaignId: Id.optional().openapi({ description: "Only this campaign" }) };
const cohortFilters = {
  cohortBy: z.enum(["signup", "first_purchase"]).default("signup").openapi({ description: "Cohort users by sign-up or by first paid order" }),
  acquisitionCampaignId: Id.optional().openapi({ description: "Only users acquired by this campaign (user_signed_up.payload.acquisitionCampaignId)" }),
};

/** Attribution filters (user_signed_up's acquisition): only users who signed up through this channel / source / origin. */
const attribution = {
  channel: z.string().min(1).max(64).regex(/^[\w.~:+-]+$/).optional().openapi({ description: "UTM source the user signed up with (e.g. wechat)" }),
  source: z.enum(["share", "organic"]).optional().openapi({ description: "share: signed up through a share link; organic: not" }),
  origin: z.string().min(1).max(200).optional().openapi({ description: "Embedding origin of the widget the user signed up in (e.g. https://brand.example)" }),
};
export type AttributionParams = { channel?: string; source?: "share" | "organic"; origin?: string };

/** Membership (issue 17): member vs non-member cohorts, and the time buckets of the membership views. */
export const SEGMENTS = ["all", "members", "non_members"] as const;
const segment = {
  segment: z.enum(SEGMENTS).default("all").openapi({
    description: "members: users who joined the brand's membership (member_joined) no later than their cohort day (China time, as the cohorts); non_members: the others",
  }),
};
export const BUCKETS = ["day", "week", "month"] as const;
export type Bucket = (typeof BUCKETS)[number];
const bucket = { bucket: z.enum(BUCKETS).default("week").openapi({ description: "Time bucket in China time (Asia/Shanghai, UTC+8): day, week (from Monday) or month; the first bucket starts at the calendar start of `from`'s day/week/month" }) };
const bucketLabel = z.string().openapi({ description: "First day of the bucket, YYYY-MM-DD (China date)", example: "2026-09-07" });

function params<T extends z.ZodRawShape>(shape: T) {
  return z
    .object(shape)
    .strict()
    .refine((p) => (p as { from: string; to: string }).from < (p as { from: string; to: string }).to, { message: "from must be before to", path: ["to"], params: { reason: "invalid_window" } })
    .refine((p) => Date.parse((p as { to: string }).to) - Date.parse((p as { from: string }).from) <= 400 * DAY_MS, { message: "at most 400 days", path: ["to"] });
}

const rate = z.number().nullable().openapi({ description: "0..1; null when the denominator is 0" });

export const RetentionParams = params({ ...range, ...cohortFilters, ...attribution, ...segment });
/** Cohorts, their days and weeks are China ones (analytics/metrics/cohort.ts). */
const cohortWeek = z.string().openapi({
  description: "The cohort: the Monday (YYYY-MM-DD) of the week, from Monday 00:00 China time (Asia/Shanghai), holding the cohort event; its day N / week k count China calendar days",
  example: "2026-09-07",
});
/** A young cohort's day N (or week k) that has not yet ended for all its members is null, not a 0% that is still filling in. */
const young = "; null while that day has not yet ended for every member of the cohort (young cohort)";
const openCount = (what: string) => z.number().nullable().openapi({ description: `Users active on ${what}${young}` });
const openRate = (what: string) => z.number().nullable().openapi({ description: `Share of the cohort active on ${what}, 0..1${young}` });
export const RetentionRow = z
  .object({
    cohort: cohortWeek,
    users: z.number(),
    d1: openCount("day 1"),
    d7: openCount("day 7"),
    d30: openCount("day 30"),
    d1Rate: openRate("day 1"),
    d7Rate: openRate("day 7"),
    d30Rate: openRate("day 30"),
  })
  .openapi("RetentionRow");

export const RETENTION_WEEKS = 13;
export const RetentionMatrixParams = RetentionParams;
export const RetentionMatrixRow = z
  .object({
    cohort: cohortWeek,
    users: z.number(),
    retained: z.array(z.number().nullable()).openapi({
      description: "Users active in week W0..W12 after their cohort event; null while that week has not yet ended for every member (young cohort)",
    }),
    rates: z.array(z.number().nullable()).openapi({ description: "retained ÷ users, 0..1; null for a week not yet ended for every member" }),
  })
  .openapi("RetentionMatrixRow");

export const LtvParams = params({ ...range, acquisitionCampaignId: cohortFilters.acquisitionCampaignId, ...attribution, ...segment });
export const LtvRow = z
  .object({ cohort: cohortWeek, users: z.number(), ltv7Cents: z.number(), ltv30Cents: z.number(), ltv90Cents: z.number() })
  .openapi("LtvRow");

export const KFactorParams = params({ ...range, ...campaign, ...attribution });
export const KFactorRow = z
  .object({
    campaignId: z.string(),
    participants: z.number(),
    sharers: z.number(),
    shares: z.number(),
    inviteeSignups: z.number(),
    shareRate: rate,
    invitesPerUser: z.number().nullable(),
    inviteConversion: rate,
    kFactor: z.number().nullable(),
  })
  .openapi("KFactorRow");
export const KFactorOverallRow = KFactorRow.omit({ campaignId: true }).openapi("KFactorOverallRow");

export const FUNNEL_STEPS = ["view", "claim_or_draw", "order", "paid", "redeemed"] as const;
export const FunnelParams = params({
  ...range,
  ...campaign,
  ...attribution,
  windowHours: z.coerce.number().int().min(1).max(24 * 90).default(24 * 7).openapi({ description: "Max time from the view to the last step" }),
});
export const FunnelRow = z
  .object({
    step: z.enum([...FUNNEL_STEPS, "used"]).openapi({ description: "The last step is `redeemed` (any voucher redeemed at a store) overall, `used` per campaign (a voucher the campaign issued redeemed at a store or applied on a paid order); per campaign, order and paid are the campaign's own orders" }),
    users: z.number(), fromPrevious: rate, fromFirst: rate,
  })
  .openapi("FunnelRow");

export const RedemptionParams = params({ ...range, ...campaign });
export const RedemptionRow = z
  .object({
    campaignId: z.string(),
    issued: z.number(),
    redeemed: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    redemptionRate: rate,
    successRate: rate,
  })
  .openapi("RedemptionRow");

export const SupplierParams = params({ ...range });
export const SupplierRow = z
  .object({ supplierId: z.string(), delivered: z.number(), failed: z.number(), successRate: rate })
  .openapi("SupplierRow");

/** The one definition of a paid order (支付订单), shared with the orders export's `paidOrder` column (schema/exports.ts). */
const PAID_ORDERS =
  "Orders paid in the range with money taken at a payment gateway (order_paid). A free (¥0) order and one paid wholly from " +
  "the stored-value balance are delivered but not counted (their export rows read paidOrder false)";

export const RoiParams = params({ ...range, ...campaign, ...attribution });
export const RoiRow = z
  .object({
    campaignId: z.string(),
    participants: z.number(),
    costCents: z.number(),
    revenueCents: z.number(),
    paidOrders: z.number().openapi({ description: PAID_ORDERS }),
    roi: z.number().nullable().openapi({ description: "(revenue - cost) / cost; null without cost" }),
    newUsers: z.number(),
    newUserShare: rate.openapi({ description: "This campaign's share of all sign-ups in the range" }),
  })
  .openapi("RoiRow");

export const TopProductsParams = params({ ...range, ...campaign, limit: z.coerce.number().int().min(1).max(200).default(20) });
export const TopProductsRow = z
  .object({
    productId: z.string(), views: z.number(),
    viewers: z.number().openapi({ description: "People who viewed the product in the range (a view before sign-up counts for the account made on that device)" }),
    paidOrders: z.number().openapi({ description: PAID_ORDERS }),
    revenueCents: z.number().openapi({
      description: "Money the paid orders of the range took at a payment gateway (GMV, cash basis), refunds not taken off; a part paid from the stored-value balance is not counted again (the load was)",
    }),
    refundedCents: z.number().openapi({
      description: "Money given back at the gateway in the range (whole and partial refunds), whenever the order was paid; a balance part that went back to the wallet is not counted",
    }),
    netRevenueCents: z.number().openapi({ description: "revenueCents − refundedCents" }),
    viewToPaid: rate.openapi({
      description: "Share of the viewers who paid for the product in the range (0–1); orders of people who never viewed it (a flash sale, the widget, the API) count in paidOrders, not here",
    }),
  })
  .openapi("TopProductsRow");
export const RevenueOverallParams = params({ ...range, ...campaign });
export const RevenueOverallRow = TopProductsRow.pick({ paidOrders: true, revenueCents: true, refundedCents: true, netRevenueCents: true }).openapi("RevenueOverallRow");

export const DataSourceParams = params({ ...range });
export const DataSourceRow = z
  .object({ events: z.number(), simulated: z.number().openapi({ description: "Events made by npm run simulate (payload.simulated)" }) })
  .openapi("DataSourceRow");

/** Every dashboard view: its params and its row. */
export const AcquisitionParams = params({ ...range, ...campaign, ...attribution });
export const AcquisitionRow = z
  .object({
    campaignId: z.string().openapi({ description: "Campaign the user was acquired by ('' = none: the shop)" }),
    channel: z.string().openapi({ description: "UTM source ('' = none)" }),
    source: z.enum(["share", "organic"]),
    origin: z.string().openapi({ description: "Embedding origin ('' = the platform's own pages)" }),
    newUsers: z.number(),
  })
  .openapi("AcquisitionRow");

export const MembersByTierParams = params({ ...range, ...bucket });
export const MembersByTierRow = z
  .object({
    bucket: bucketLabel,
    tierId: z.string().openapi({ description: "Effective tier at the end of the bucket: a valid paid card's tier, else the earned tier ('' = none)" }),
    members: z.number().openapi({ description: "Members in that tier at the end of the bucket (or at `to`, for the last one)" }),
  })
  .openapi("MembersByTierRow");

export const PointsParams = params({
  ...range,
  ...bucket,
  pointValueCents: z.coerce.number().min(0).max(100_000).default(1).openapi({ description: "Money value of one point in cents (fen); default 1 (100 points = ¥1)" }),
});
export const PointsRow = z
  .object({
    bucket: bucketLabel,
    issued: z.number().openapi({ description: "Points earned (points_earned)" }),
    spent: z.number().openapi({ description: "Points spent (points_spent), as a positive number" }),
    expired: z.number().openapi({ description: "Points expired (points_expired), as a positive number" }),
    reversed: z.number().openapi({ description: "Net effect of reversals on balances (points_reversed, signed: an earn taken back is negative)" }),
    adjusted: z.number().openapi({ description: "Net manual adjustments (points_adjusted, signed)" }),
    outstanding: z.number().openapi({ description: "Points held by members at the end of the bucket: the signed sum of every movement before it, since the start" }),
    outstandingValueCents: z.number().openapi({ description: "outstanding × pointValueCents, rounded to a cent: the liability" }),
  })
  .openapi("PointsRow");

export const PaidCardRenewalParams = params({ ...range, ...bucket });
export const PaidCardRenewalRow = z
  .object({
    bucket: bucketLabel.openapi({ description: "First day of the bucket the terms fell due in (validUntil), YYYY-MM-DD" }),
    due: z.number().openapi({ description: "Paid-card terms (purchased or renewed, with validUntil) that fell due in the bucket" }),
    renewed: z.number().openapi({ description: "…whose card's next change was a renewal (before it lapsed)" }),
    lapsed: z.number().openapi({ description: "…whose card's next change was a lapse (or anything but a renewal)" }),
    pending: z.number().openapi({ description: "…with no change recorded yet" }),
    renewalRate: rate.openapi({ description: "renewed ÷ (renewed + lapsed); null when none is decided (every bucket of the range is listed once any has a term due)" }),
  })
  .openapi("PaidCardRenewalRow");

export const STREAK_BANDS = ["1", "2", "3", "4-6", "7-13", "14-29", "30+"] as const;
export const CheckinStreaksParams = params({ ...range });
export const CheckinStreaksRow = z
  .object({
    streak: z.enum(STREAK_BANDS).openapi({ description: "Band of the longest check-in streak (days) a member reached in the range" }),
    members: z.number(),
    share: rate.openapi({ description: "Share of the members who checked in during the range" }),
  })
  .openapi("CheckinStreaksRow");

/** Social growth (issue 18): one row per share mechanism. */
export const GROWTH_MECHANISMS = ["campaign", "group", "assist", "invite", "product"] as const;
export const GrowthParams = params({
  ...range,
  days: z.coerce.number().int().min(1).max(90).default(30).openapi({ description: "LTV window: paid revenue (net of refunds) per user within this many days of sign-up" }),
});
const cents = (d: string) => z.number().nullable().openapi({ description: `${d}, in cents; null when it does not apply or there is nobody to divide by` });
export const GrowthRow = z
  .object({
    mechanism: z.enum(GROWTH_MECHANISMS),
    sharers: z.number().openapi({ description: "Users who made a share link of this mechanism in the range; on the invite row also the inviters of invites accepted in the range (a plain ?invite= link makes no share link)" }),
    shares: z.number().openapi({ description: "Share links made (share_sent) in the range" }),
    inviteeSignups: z.number().openapi({ description: "Users who signed up in the range through a share link of this mechanism; on the invite row also the friends who accepted an invite in the range, by whichever link" }),
    kFactor: rate.openapi({ description: "inviteeSignups ÷ sharers; null without sharers" }),
    cycleMedianMinutes: z.number().nullable().openapi({ description: "Viral cycle time: median minutes from share_sent to the invitee's sign-up through it" }),
    teamsOpened: z.number().openapi({ description: "group: teams opened in the range" }),
    teamsCompleted: z.number().openapi({ description: "group: of those, teams that filled (group_team_completed)" }),
    teamsFailed: z.number().openapi({ description: "group: of those, teams that failed or expired (group_team_failed)" }),
    teamSuccessRate: rate.openapi({ description: "group: teamsCompleted ÷ teamsOpened" }),
    teamFailRate: rate.openapi({ description: "group: teamsFailed ÷ teamsOpened" }),
    assistHelps: z.number().openapi({ description: "assist: helps (assist_helped) in the range" }),
    goalsReached: z.number().openapi({ description: "assist: requests that reached their goal (assist_goal_reached) in the range" }),
    assistsPerGoal: z.number().nullable().openapi({ description: "assist: assistHelps ÷ goalsReached" }),
    inviteeLtvCents: cents("Net paid revenue per invitee of this mechanism within `days` of sign-up"),
    organicLtvCents: cents("The same for users who signed up in the range without a share link (equal on every row)"),
    rewardCostCents: cents("Rewards the brand paid: group discounts (group_team_completed.costCents), assist rewards (assist_goal_reached.costCents), invite rewards (invite_rewarded.costCents, less reversed ones); null for campaign and product (prize costs: the ROI view)"),
    attributedRevenueCents: z.number().openapi({ description: "Net paid revenue of this mechanism's invitees within `days` of sign-up" }),
    revenuePerCostCent: z.number().nullable().openapi({ description: "attributedRevenueCents ÷ rewardCostCents" }),
  })
  .openapi("GrowthRow");

/** Targeting (issue 19, 精准营销): uplift of targeted issuances against their holdout; coupon cost vs revenue per segment. */
export const TargetingUpliftParams = params({
  ...range,
  days: z.coerce.number().int().min(1).max(90).default(30).openapi({ description: "Outcome window: redemption and paid revenue within this many days after each person's targeted_issued" }),
  issuanceId: Id.optional().openapi({ description: "Only this issuance" }),
});
export const TargetingUpliftRow = z
  .object({
    issuanceId: z.string(),
    segmentId: z.string().openapi({ description: "The issuance's segment ('' when issued to named members)" }),
    couponProductId: z.string(),
    treated: z.number().openapi({ description: "People issued the coupon (targeted_issued, holdout false) in the range" }),
    control: z.number().openapi({ description: "People kept out as holdout (holdout true)" }),
    treatedRedeemed: z.number().openapi({ description: "Treated people who redeemed (voucher_redeemed) or applied (coupon_applied) that coupon product within `days`" }),
    controlRedeemed: z.number(),
    treatedRedemptionRate: rate,
    controlRedemptionRate: rate,
    redemptionUplift: z.number().nullable().openapi({ description: "treatedRedemptionRate − controlRedemptionRate; null without both groups" }),
    treatedRevenuePerPersonCents: z.number().nullable().openapi({ description: "order_paid amountCents within `days` after issue, per treated person" }),
    controlRevenuePerPersonCents: z.number().nullable(),
    revenueUpliftCents: z.number().nullable().openapi({ description: "Treated − control revenue per person; null without both groups" }),
  })
  .openapi("TargetingUpliftRow");
export const CouponRoiParams = params({ ...range });
export const CouponRoiRow = z
  .object({
    segmentId: z.string().openapi({ description: "Segment of the targeted issuance that gave the buyer this coupon product (latest before use); '' = not from a targeted issuance" }),
    couponsApplied: z.number().openapi({ description: "coupon_applied in the range" }),
    discountCents: z.number().openapi({ description: "discountCents of those, less coupon_returned in the range" }),
    issueCostCents: z.number().openapi({ description: "costCents of vouchers issued (voucher_issued) by the segment's targeted issuance orders in the range" }),
    costCents: z.number().openapi({ description: "discountCents + issueCostCents" }),
    orders: z.number().openapi({ description: "Paid orders (order_paid in the range) that used one of these coupons" }),
    attributedRevenueCents: z.number().openapi({ description: "Their paid amount" }),
    revenuePerCostCent: z.number().nullable().openapi({ description: "attributedRevenueCents ÷ costCents" }),
  })
  .openapi("CouponRoiRow");
/** Lifecycle flows (issue 19): win-back reactivation and expiry-reminder conversion, bucketed by when the message went out. */
export const WinBackReactivationParams = params({
  ...range, ...bucket,
  days: z.coerce.number().int().min(1).max(180).default(30).openapi({ description: "A paid order within this many days of the message counts as reactivated" }),
});
export const WinBackReactivationRow = z
  .object({
    bucket: bucketLabel,
    sent: z.number().openapi({ description: "Win-back messages sent (message_sent flow win_back) in the bucket" }),
    reactivated: z.number().openapi({ description: "…whose person paid an order (amount > 0) within `days` after the message" }),
    reactivationRate: rate.openapi({ description: "reactivated ÷ sent; null in a bucket with none sent (every bucket of the range is listed once any has a message)" }),
  })
  .openapi("WinBackReactivationRow");
export const ReminderConversionParams = params({ ...range, ...bucket });
export const ReminderConversionRow = z
  .object({
    bucket: bucketLabel,
    reminded: z.number().openapi({ description: "Coupons reminded before expiry (message_sent flow expiry_reminder with voucherId; first reminder per coupon) in the bucket" }),
    used: z.number().openapi({ description: "…then used (voucher_redeemed or coupon_applied of that voucher) after the reminder and before it expired" }),
    conversionRate: rate.openapi({ description: "used ÷ reminded; null in a bucket with none reminded (every bucket of the range is listed once any has a reminder)" }),
  })
  .openapi("ReminderConversionRow");

export const METRICS = {
  retention: { params: RetentionParams, row: RetentionRow, summary: "Cohort retention D1/D7/D30 by weekly cohort (segment: members or non-members)" },
  retention_matrix: { params: RetentionMatrixParams, row: RetentionMatrixRow, summary: "Weekly cohort retention matrix W0..W12 (segment: members or non-members)" },
  ltv: { params: LtvParams, row: LtvRow, summary: "Cumulative revenue per user at 7/30/90 days by sign-up cohort (segment: members or non-members)" },
  kfactor: { params: KFactorParams, row: KFactorRow, summary: "K-factor and share rate per campaign" },
  kfactor_overall: { params: KFactorParams, row: KFactorOverallRow, summary: "K-factor and participants over all campaigns at once (each person counted once; the dashboard's 参与人数 and K 因子 tiles)" },
  funnel: { params: FunnelParams, row: FunnelRow, summary: "Funnel view → claim/draw → order → paid → redeemed; per campaign: its own orders and payments, last its vouchers used (at a store or on a paid order)" },
  redemption: { params: RedemptionParams, row: RedemptionRow, summary: "Voucher redemption rate and redemption success rate per campaign" },
  suppliers: { params: SupplierParams, row: SupplierRow, summary: "Supplier delivery success rate" },
  roi: { params: RoiParams, row: RoiRow, summary: "Campaign ROI (prize and discount cost vs attributed revenue) and new users" },
  top_products: { params: TopProductsParams, row: TopProductsRow, summary: "Top products by revenue" },
  revenue_overall: { params: RevenueOverallParams, row: RevenueOverallRow, summary: "Paid orders, revenue (GMV), refunds made and net revenue over every product (the dashboard's GMV and 净收入 tiles)" },
  data_source: { params: DataSourceParams, row: DataSourceRow, summary: "Events in the range and how many are simulated (the dashboard's 模拟数据 badge)" },
  acquisition: { params: AcquisitionParams, row: AcquisitionRow, summary: "New users per campaign by channel (UTM source), share vs organic and embedding origin" },
  members_by_tier: { params: MembersByTierParams, row: MembersByTierRow, summary: "Members in each tier at the end of each day/week/month" },
  points: { params: PointsParams, row: PointsRow, summary: "Points issued, spent, expired, reversed and adjusted per bucket; outstanding points and their money value" },
  paid_card_renewal: { params: PaidCardRenewalParams, row: PaidCardRenewalRow, summary: "Paid membership card renewal rate by the period the terms fell due in" },
  checkin_streaks: { params: CheckinStreaksParams, row: CheckinStreaksRow, summary: "Distribution of the longest daily check-in streak per member" },
  targeting_uplift: { params: TargetingUpliftParams, row: TargetingUpliftRow, summary: "Uplift of each targeted issuance against its holdout: redemption rate and revenue per person, treated vs control" },
  coupon_roi: { params: CouponRoiParams, row: CouponRoiRow, summary: "Coupon cost (discounts + issued vouchers' cost) vs revenue of the orders that used them, per segment of the targeted issuance" },
  win_back_reactivation: { params: WinBackReactivationParams, row: WinBackReactivationRow, summary: "Win-back flow: share of messaged members who paid an order within N days" },
  reminder_conversion: { params: ReminderConversionParams, row: ReminderConversionRow, summary: "Expiry reminders: share of reminded coupons used before they expired" },
  growth: { params: GrowthParams, row: GrowthRow, summary: "Social growth per mechanism (campaign, group buy, assist, invite, product share): K-factor, viral cycle time, team success, assists per goal, invitee vs organic LTV, reward cost vs attributed revenue" },
} as const;
export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];
export const MetricName = z.enum(METRIC_NAMES as [MetricName, ...MetricName[]]);

/** The signed body the worker sends to the warehouse's POST /v1/query/<metric>. */
export const WarehouseQuery = z.object({
  metric: MetricName,
  tenantId: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()),
});
export type WarehouseQuery = z.infer<typeof WarehouseQuery>;

export function metricResponse<R extends z.ZodType>(row: R) {
  return z.object({ metric: MetricName, params: z.record(z.string(), z.unknown()), rows: z.array(row), tookMs: z.number() });
}

/** Names for the ids in metric rows (campaignId, productId, supplierId, tierId, segmentId, issuanceId), from the worker's D1: the warehouse has ids only. */
export const AnalyticsNames = z
  .object({
    campaigns: z.record(z.string(), z.string()),
    products: z.record(z.string(), z.string()),
    suppliers: z.record(z.string(), z.string()),
    tiers: z.record(z.string(), z.string()).openapi({ description: "Membership tiers (member_tiers)" }),
    segments: z.record(z.string(), z.string()).openapi({ description: "Member segments" }),
    issuances: z.record(z.string(), z.string()).openapi({ description: "Targeted issuances, called by segment · coupon · China day" }),
  })
  .openapi("AnalyticsNames");
export type AnalyticsNames = z.infer<typeof AnalyticsNames>;
