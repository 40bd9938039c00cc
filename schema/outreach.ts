import { z } from "@hono/zod-openapi";

/** Targeted issuance and lifecycle messaging (issue 19 items 4 and 5). */
const Id = z.string().min(1).max(64);

export const FLOWS = ["targeted", "expiry_reminder", "revive", "win_back", "birthday"] as const;
export const Flow = z.enum(FLOWS).openapi("OutreachFlow");
export type Flow = z.infer<typeof Flow>;
/** What an unsubscribe link withdraws: one flow or every marketing message ("all" also withdraws marketing consent). */
export const UnsubscribeScope = z.enum([...FLOWS, "all"]).openapi("UnsubscribeScope");
export type UnsubscribeScope = z.infer<typeof UnsubscribeScope>;
export const SUPPRESS_REASONS = ["frequency_cap", "quiet_hours", "no_consent", "unsubscribed", "no_channel", "coupon_unavailable"] as const;

const Hour = z.number().int().min(0).max(23);
const FlowBase = { enabled: z.boolean().default(false) };
export const OutreachSettings = z
  .object({
    /** At most this many marketing messages per person per 7 days (0 = none). */
    capPer7Days: z.number().int().min(0).max(50).default(3),
    /** No SMS from `start` to `end` o'clock local time (Asia/Shanghai); such a message waits for `end`. start = end: none. */
    quietHours: z.object({ start: Hour.default(21), end: Hour.default(9) }).strict().default({ start: 21, end: 9 }),
    /** sms: the SMS sandbox for members with a phone, else the brand's webhook; webhook: always the webhook (message_sent). */
    channel: z.enum(["sms", "webhook"]).default("sms"),
    flows: z
      .object({
        expiryReminder: z.object({ ...FlowBase, days: z.number().int().min(1).max(30).default(3) }).strict().default({ enabled: false, days: 3 }),
        revive: z.object({ ...FlowBase, validityDays: z.number().int().min(1).max(30).default(3), withinDays: z.number().int().min(1).max(90).default(30) }).strict()
          .default({ enabled: false, validityDays: 3, withinDays: 30 }),
        winBack: z.object({ ...FlowBase, dormantDays: z.number().int().min(7).max(730).default(60), couponProductId: Id.nullable().default(null) }).strict()
          .default({ enabled: false, dormantDays: 60, couponProductId: null }),
        birthday: z.object({ ...FlowBase, couponProductId: Id.nullable().default(null) }).strict().default({ enabled: false, couponProductId: null }),
      })
      .strict()
      .default({
        expiryReminder: { enabled: false, days: 3 }, revive: { enabled: false, validityDays: 3, withinDays: 30 },
        winBack: { enabled: false, dormantDays: 60, couponProductId: null }, birthday: { enabled: false, couponProductId: null },
      }),
  })
  .strict()
  .openapi("OutreachSettings");
export type OutreachSettings = z.output<typeof OutreachSettings>;
export const DEFAULT_OUTREACH: OutreachSettings = OutreachSettings.parse({});

export const IssuanceInput = z
  .object({
    segmentId: Id,
    couponProductId: Id,
    /** Control group kept out (nothing issued, a targeted_issued holdout event), decided by hash(issuance, buyer). */
    holdoutPct: z.number().int().min(0).max(50).default(10),
    /** Tell issued people (flow targeted: SMS sandbox or the brand's webhook). */
    notify: z.boolean().default(true),
  })
  .strict()
  .openapi("IssuanceInput");

export const DirectIssueInput = z
  .object({
    /** The member (members.id) or buyer id to issue to. */
    memberId: Id.optional(),
    buyerId: Id.optional(),
    couponProductId: Id,
    /** The caller's idempotency key: the same key issues once and answers the same issuance again. */
    clientKey: z.string().min(8).max(64).regex(/^[A-Za-z0-9_.:-]+$/),
    notify: z.boolean().default(true),
  })
  .strict()
  .refine((v) => !!v.memberId !== !!v.buyerId, { path: ["memberId"], message: "give exactly one of memberId or buyerId" })
  .openapi("DirectIssueInput");

export const Issuance = z
  .object({
    id: Id, kind: z.enum(["segment", "direct"]), segmentId: Id.nullable(), segmentName: z.string().nullable(), couponProductId: Id,
    couponName: z.string().nullable(), holdoutPct: z.number().int(), notify: z.boolean(),
    status: z.enum(["running", "done", "stopped"]), stopReason: z.string().nullable(),
    total: z.number().int(), issued: z.number().int(), holdout: z.number().int(), failed: z.number().int(), processed: z.number().int(),
    createdAt: z.string(), finishedAt: z.string().nullable(),
  })
  .openapi("Issuance");
export type Issuance = z.infer<typeof Issuance>;
export const IssuanceList = z.object({ issuances: z.array(Issuance) }).openapi("IssuanceList");
export const IssuanceReport = z
  .object({
    issuance: Issuance,
    failuresByReason: z.array(z.object({ reason: z.string(), count: z.number().int() })),
    messages: z.object({ sent: z.number().int(), deferred: z.number().int(), suppressed: z.number().int() }),
  })
  .openapi("IssuanceReport");
export type IssuanceReport = z.infer<typeof IssuanceReport>;
export const DirectIssueResult = z.object({ issuance: Issuance, orderId: Id.nullable(), created: z.boolean() }).openapi("DirectIssueResult");

export const OutreachMessage = z
  .object({
    id: Id, flow: Flow, triggerKey: z.string(), channel: z.string(), status: z.enum(["sent", "deferred", "suppressed"]), reason: z.string().nullable(),
    memberMasked: z.string().nullable(), sendAfter: z.string().nullable(), sentAt: z.string().nullable(), createdAt: z.string(),
  })
  .openapi("OutreachMessage");
export const OutreachMessageList = z
  .object({ messages: z.array(OutreachMessage), counts: z.array(z.object({ flow: z.string(), status: z.string(), count: z.number().int() })) })
  .openapi("OutreachMessageList");

export const UnsubscribeQuery = z.object({ token: z.string().min(10).max(200) });
export const UnsubscribeInput = z
  .object({ token: z.string().min(10).max(200), /** Every marketing message (withdraws marketing consent), not just this flow's. */ all: z.boolean().default(false) })
  .strict()
  .openapi("UnsubscribeInput");
export const UnsubscribeView = z.object({ scope: UnsubscribeScope, brand: z.string(), unsubscribed: z.boolean() }).openapi("UnsubscribeView");
