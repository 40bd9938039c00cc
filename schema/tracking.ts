import { z } from "@hono/zod-openapi";
import { EventActor, EventType } from "./events";
import { fastParse } from "./fast-parse";

/** Views from the pages (storefront, campaign pages, widget): the public tracking route accepts these types only. */
export const TRACKABLE_TYPES = ["page_view", "product_viewed", "widget_impression", "recommendation_shown", "recommendation_clicked"] as const;

const Ref = z.string().min(1).max(64).regex(/^[\w.:-]+$/, "letters, digits, _ . : -");

export const TrackEvent = z
  .object({
    type: z.enum(TRACKABLE_TYPES),
    campaignId: Ref.optional(),
    productId: Ref.optional(),
    path: z.string().max(200).optional(),
    /** The share code the visitor arrived through (?share=): attribution of the view to the share link. */
    shareLink: z.string().regex(/^[A-Za-z0-9]{8,24}$/, "a share code from a share link").optional(),
    /** Recommendations (recommendation_shown / _clicked): which list, how many shown, which one was opened. */
    surface: z.enum(["product", "member"]).optional().openapi({ description: "product = 其他人也买了 on a product page, member = 为你推荐" }),
    items: z.number().int().min(0).max(50).optional(),
    position: z.number().int().min(0).max(50).optional(),
    fromProductId: Ref.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (!e.type.startsWith("recommendation_")) return;
    if (!e.surface) ctx.addIssue({ code: "custom", path: ["surface"], message: "required for recommendation events" });
    if (e.type === "recommendation_shown" && e.items === undefined) ctx.addIssue({ code: "custom", path: ["items"], message: "required for recommendation_shown" });
    if (e.type === "recommendation_clicked" && (e.position === undefined || !e.productId)) {
      ctx.addIssue({ code: "custom", path: [e.productId ? "position" : "productId"], message: "recommendation_clicked needs productId and position" });
    }
  });

/**
 * Who is viewing is never taken from the body: it is the buyer of the signed session (the store's cookie, or the
 * widget's `Authorization: Bearer` token), else the anonymous `deviceId` the page keeps until the buyer exists
 * (sent again with the sign-up, which links the two).
 */
export type TrackEvent = z.infer<typeof TrackEvent>;
export const TrackInput = z
  .object({
    tenant: z.string().min(2).max(40),
    deviceId: Ref.optional().openapi({ description: "Anonymous visitor id, used only while there is no session" }),
    events: z.array(TrackEvent).min(1).max(20),
  })
  .strict()
  .openapi("TrackInput");
export type TrackInput = z.infer<typeof TrackInput>;
export const TrackResult = z
  .object({
    accepted: z.number().openapi({ description: "Events recorded" }),
    ignored: z.number().openapi({ description: "Known bots, and a reload of the same page by the same visitor within 30 s" }),
  })
  .openapi("TrackResult");

/** Events that only the platform itself may emit, never imported. */
const NOT_IMPORTABLE = new Set(["tenant_created", "tenant_updated", "api_key_created", "api_key_revoked"]);
const Scalar = z.union([z.string().max(200), z.number(), z.boolean(), z.null()]);

export const ImportEvent = z
  .object({
    eventId: z.string().min(8).max(64).regex(/^[\w.:-]+$/).optional().openapi({ description: "Stable id: a retried import is not counted twice" }),
    type: EventType.refine((t) => !NOT_IMPORTABLE.has(t), "this type is emitted by the platform only"),
    occurredAt: z.iso.datetime({ offset: true }),
    actor: EventActor.omit({ apiKeyId: true }).partial().default({}),
    payload: z
      .record(z.string().max(64), Scalar)
      .refine((p) => Object.keys(p).length <= 30, "at most 30 fields")
      .default({}),
  })
  .strict();

export const ImportInput = fastParse(z.object({ events: z.array(ImportEvent).min(1).max(1000) }).strict().openapi("ImportEventsInput"));
export const ImportResult = z.object({ accepted: z.number() }).openapi("ImportEventsResult");
