import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { IdempotencyKey } from "./orders";
import { ProductKind, ProductStatus } from "./catalog";

/** Points ledger, check-in, tasks and the points mall (issue 17). */
const Id = z.string().min(1).max(64);
const Points = z.number().int().min(0).max(10_000_000);

export const StreakReward = z.object({ day: z.number().int().min(1).max(366), points: Points }).openapi("StreakReward");

export const PointsRules = z
  .object({
    pointsPerYuan: z.number().int().min(0).max(1000).openapi({ description: "Points earned per yuan of a paid order (rounded down)" }),
    pointsPerRedemption: z.number().int().min(0).max(100_000).openapi({ description: "Points earned per voucher redeemed at a store" }),
    expiryMonths: z.number().int().min(1).max(120).openapi({ description: "Earned points expire this many months later (per lot)" }),
    remindDays: z.number().int().min(0).max(90).openapi({ description: "Days before expiry the member is reminded (once per lot)" }),
    centsPer100Points: z.number().int().min(0).max(100_000).openapi({ description: "Money value of 100 points in fen (liability view)" }),
    checkInPoints: Points,
    streakRewards: z.array(StreakReward).max(20),
  })
  .openapi("PointsRules");
export type PointsRules = z.infer<typeof PointsRules>;
export const PointsRulesInput = PointsRules.partial().strict().openapi("PointsRulesInput");

export const MovementKind = z.enum(["earn", "spend", "reverse", "expire", "adjust"]);
export const PointsMovement = z
  .object({
    id: z.string(),
    kind: MovementKind,
    points: z.number().int(),
    balanceAfter: z.number().int(),
    sourceKind: z.string(),
    sourceId: z.string(),
    orderId: z.string().nullable(),
    reason: z.string().nullable(),
    shortfall: z.number().int(),
    createdAt: z.string(),
  })
  .openapi("PointsMovement");
export type PointsMovement = z.infer<typeof PointsMovement>;

export const ExpiringLot = z.object({ points: z.number().int(), expiresAt: z.string() }).openapi("ExpiringLot");

export const PointsStatement = z
  .object({
    memberId: z.string(),
    balance: z.number().int(),
    expiringSoon: z.array(ExpiringLot),
    movements: z.array(PointsMovement),
    nextCursor: z.string().nullable(),
    checkIn: z.object({
      today: z.boolean(), streak: z.number().int(),
      dailyPoints: z.number().int().openapi({ description: "Points every check-in gives (the brand's checkInPoints)" }),
      nextBonus: z.object({ day: z.number().int(), points: z.number().int() }).nullable().openapi({ description: "The next streak bonus ahead of the current streak (e.g. day 7: +50); null when none is left" }),
    }),
  })
  .openapi("PointsStatement");

export const StatementQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const CheckInResult = z
  .object({ day: z.string(), streak: z.number().int(), points: z.number().int(), balance: z.number().int() })
  .openapi("CheckInResult");

export const TaskKind = z.enum(["complete_profile", "first_purchase", "invite_friend", "redeem_at_store"]);
export const MemberTaskInput = z
  .object({
    kind: TaskKind,
    name: text().trim().min(1).max(60),
    repeatable: z.boolean().default(false),
    points: Points.default(0),
    growth: Points.default(0),
    couponProductId: Id.nullable().default(null),
    active: z.boolean().default(true),
  })
  .strict()
  .refine((t) => t.points > 0 || t.growth > 0 || t.couponProductId, { message: "a task pays points, growth or a coupon", path: ["points"] })
  .openapi("MemberTaskInput");
export const MemberTask = z
  .object({
    id: z.string(), kind: TaskKind, name: z.string(), repeatable: z.boolean(), points: z.number().int(), growth: z.number().int(),
    couponProductId: z.string().nullable(), active: z.boolean(), createdAt: z.string(),
  })
  .openapi("MemberTask");
export const MyTask = MemberTask.omit({ active: true, createdAt: true })
  .extend({
    completions: z.number().int(),
    reversed: z.number().int().openapi({ description: "Completions whose reward a refund of their order took back (a first purchase refunded)" }),
    available: z.boolean().openapi({ description: "A completion is there to claim now" }),
  })
  .openapi("MyTask");
export const TaskCompletion = z
  .object({ taskId: z.string(), completion: z.string(), points: z.number().int(), growth: z.number().int(), voucherId: z.string().nullable(), balance: z.number().int() })
  .openapi("TaskCompletion");

export const MallItemInput = z
  .object({
    productId: Id,
    title: z.string().trim().min(1).max(80),
    points: z.number().int().min(1).max(10_000_000),
    cashCents: z.number().int().min(0).max(100_000_000).default(0),
    stock: z.number().int().min(0).max(1_000_000),
    perMemberLimit: z.number().int().min(1).max(1000).nullable().default(null),
    active: z.boolean().default(true),
  })
  .strict()
  .openapi("MallItemInput");
export const MallItem = z
  .object({
    id: z.string(), productId: z.string(), title: z.string(), points: z.number().int(), cashCents: z.number().int(),
    stockTotal: z.number().int(), stockLeft: z.number().int(), perMemberLimit: z.number().int().nullable(), active: z.boolean(),
    productStatus: ProductStatus.nullable().openapi({ description: "The catalog product's status now: an item whose product was unpublished after it was made stays listed for the operator but cannot be exchanged" }),
    productKind: ProductKind.nullable().openapi({ description: "What the product is (a direct recharge is worded 充值, not 发放, on the member's exchanges); null if the product is gone" }),
    exchangeable: z.boolean().openapi({ description: "Members can exchange it now: active and its product published" }),
  })
  .openapi("MallItem");
export type MallItem = z.infer<typeof MallItem>;

export const MallExchange = z
  .object({
    id: z.string(), itemId: z.string(), points: z.number().int(), cashCents: z.number().int(), orderId: z.string().nullable(),
    status: z.enum(["placed", "ordered", "returned"]), orderStatus: z.string().nullable(),
    checkoutUrl: z.string().nullable().openapi({ description: "Pay the cash part here (null when there is none)" }), balance: z.number().int(),
  })
  .openapi("MallExchange");
export const ExchangeHeaders = z.object({ "idempotency-key": IdempotencyKey });

export const PointsAdjustInput = z
  .object({
    memberId: Id,
    points: z.number().int().min(-10_000_000).max(10_000_000).refine((n) => n !== 0, { message: "must not be 0", params: { reason: "not_zero" } }),
    reason: z.string().trim().min(2).max(200),
  })
  .strict()
  .openapi("PointsAdjustInput");

export const PointsLiability = z
  .object({
    outstandingPoints: z.number().int(), valueCents: z.number().int(), centsPer100Points: z.number().int(), members: z.number().int(),
    expiringIn30Days: z.number().int(),
    issued: z.number().int().openapi({ description: "Points earned (orders, redemptions, check-ins, tasks, referrals)" }),
    spent: z.number().int(), expired: z.number().int(),
    reversed: z.number().int().openapi({ description: "Signed: + returned mall exchanges give back spends, − refunds take back what was earned" }),
    adjusted: z.number().int().openapi({ description: "Signed: the operator's manual adjustments" }),
  })
  .openapi("PointsLiability", { description: "issued − spent − expired + reversed + adjusted = outstandingPoints" });

export const MyExchange = z
  .object({
    id: z.string(), itemId: z.string(), points: z.number().int(), cashCents: z.number().int(), orderId: z.string().nullable(),
    status: z.enum(["placed", "ordered", "returned"]), orderStatus: z.string().nullable(), createdAt: z.string(),
  })
  .openapi("MyExchange");
export const MemberMall = z
  .object({
    balance: z.number().int(), items: z.array(MallItem), exchanges: z.array(MyExchange),
    productLimitReached: z.array(z.string()).openapi({ description: "Items whose product this member already holds up to its per-buyer limit (an exchange would be refused with purchase_limit)" }),
  })
  .openapi("MemberMall");
