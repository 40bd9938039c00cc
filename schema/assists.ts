import { z } from "@hono/zod-openapi";
import { text } from "./text";

/** Friend assist (助力, issue 18): an operator's activity, a member's request and its helps. */
const Id = z.string().min(1).max(64);
const Time = z.iso.datetime({ offset: true });

export const AssistInput = z
  .object({
    name: text().trim().min(1).max(60),
    /** The reward: a coupon or card-key product, issued as a free order when the goal is reached. */
    productId: Id,
    /** Helps needed (N). */
    goal: z.number().int().min(1).max(100),
    /** Hours a request stays open (T). */
    hours: z.number().int().min(1).max(720),
    startsAt: Time,
    endsAt: Time,
    /** Helpers must have signed in with a verified phone. */
    requirePhone: z.boolean().default(false),
    /** One help per device per activity (the signed device cookie / x-device-id). */
    onePerDevice: z.boolean().default(true),
    rules: z.string().max(2000).default(""),
  })
  .strict()
  .refine((a) => Date.parse(a.endsAt) > Date.parse(a.startsAt), { path: ["endsAt"], message: "endsAt must be after startsAt", params: { reason: "invalid_window" } })
  .openapi("AssistInput");
export type AssistInput = z.output<typeof AssistInput>;

export const Assist = z
  .object({
    id: Id, name: z.string(), productId: Id, productName: z.string().nullable(), goal: z.number().int(), hours: z.number().int(),
    startsAt: z.string(), endsAt: z.string(), requirePhone: z.boolean(), onePerDevice: z.boolean(), rules: z.string(),
    status: z.enum(["active", "closed"]), createdAt: z.string(),
  })
  .openapi("Assist");
export type Assist = z.output<typeof Assist>;

export const AssistStatusInput = z.object({ status: z.enum(["active", "closed"]) }).strict().openapi("AssistStatusInput");

export const AssistRequestStatus = z.enum(["open", "reached", "expired"]);

/** A request as anyone with its link sees it: helpers masked, never the requester's id. */
export const AssistRequestView = z
  .object({
    code: z.string(),
    assist: Assist,
    helps: z.number().int(),
    goal: z.number().int(),
    expiresAt: z.string(),
    status: AssistRequestStatus,
    helpers: z.array(z.object({ name: z.string(), at: z.string() })),
    /**
     * The viewer's relation to it: the requester, helped this request, already helped another request of this
     * activity (once per activity: cannot help this one), or may help.
     */
    viewer: z.enum(["requester", "helped", "helped_other", "visitor"]).openapi({
      description: "requester; helped = helped this request; helped_other = already helped another request of this activity (one help per activity), so cannot help this one; visitor = may help",
    }),
    /** For the requester once reached: the reward order (its voucher is in 我的卡券). */
    rewardOrderId: z.string().nullable(),
  })
  .openapi("AssistRequestView");
export type AssistRequestView = z.output<typeof AssistRequestView>;

export const AssistHome = z
  .object({ assist: Assist, mine: AssistRequestView.nullable() })
  .openapi("AssistHome");

export const AssistStats = z
  .object({
    assist: Assist,
    requests: z.number().int(),
    open: z.number().int(),
    reached: z.number().int(),
    expired: z.number().int(),
    helps: z.number().int(),
    rewards: z.number().int(),
    refusals: z.record(z.string(), z.number().int()),
    recent: z.array(z.object({ code: z.string(), helps: z.number().int(), goal: z.number().int(), status: AssistRequestStatus, expiresAt: z.string(), rewardOrderId: z.string().nullable(), createdAt: z.string() })),
  })
  .openapi("AssistStats");

export const LiveAssists = z.object({ assists: z.array(Assist) }).openapi("LiveAssists");

export const AssistList = z.object({ assists: z.array(AssistStats) }).openapi("AssistList");
