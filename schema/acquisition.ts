import { z } from "@hono/zod-openapi";

/**
 * Where a new buyer came from, sent by the pages with the call that starts their session (guest, widget session,
 * phone sign-in, guest checkout). Used only when that call creates the buyer: an existing buyer keeps their first
 * touch. The embedding origin is never taken from here but from the request's Origin header.
 */
const Tag = z.string().trim().min(1).max(64).regex(/^[\w.~:+-]+$/, "letters, digits and _ . ~ : + -");
const Ref = z.string().min(1).max(64).regex(/^[\w.:-]+$/, "letters, digits, _ . : -");
export const ShareCode = z.string().regex(/^[A-Za-z0-9]{8,24}$/, "a share code from a share link");

export const Acquisition = z
  .object({
    utmSource: Tag.optional(),
    utmMedium: Tag.optional(),
    utmCampaign: Tag.optional(),
    /** The code of the share link the visitor opened (?share=). */
    share: ShareCode.optional(),
    /** The campaign page the visitor signed up on. */
    campaignId: Ref.optional(),
    /** The anonymous device id the pages used for /track before the buyer existed. */
    deviceId: Ref.optional(),
  })
  .strict()
  .openapi("Acquisition");
export type Acquisition = z.infer<typeof Acquisition>;

export const SessionInput = z.object({ acquisition: Acquisition.optional() }).strict().openapi("SessionInput");

export const ShareInput = z
  .object({ channel: Tag.optional().openapi({ description: "Where it is shared (wechat, copy_link, …), for reporting" }) })
  .strict()
  .openapi("ShareInput");
export const ShareResult = z
  .object({
    code: z.string().openapi({ description: "Opaque: names the sharer only through the platform's own records" }),
    url: z.string().openapi({ description: "The shared page (campaign, product, team, …) with ?share=<code>, path relative to the platform origin" }),
    brand: z.string().optional().openapi({ description: "The store's name, for the share poster (POST /shop/{tenant}/shares)" }),
  })
  .openapi("ShareResult");

/** What a share link shares (issue 18): a campaign, a product, a group-buy team, an assist request, an invite programme. */
export const SHARE_MECHANISMS = ["campaign", "product", "group", "assist", "invite"] as const;
export const ShareMechanism = z.enum(SHARE_MECHANISMS).openapi("ShareMechanism");
export type ShareMechanism = z.infer<typeof ShareMechanism>;

export const SubjectShareInput = z
  .object({
    mechanism: ShareMechanism,
    subjectId: Ref.openapi({ description: "The campaign, product, group-buy team, assist request or invite programme id" }),
    channel: Tag.optional().openapi({ description: "Where it is shared (wechat, poster, copy_link, …), for reporting" }),
  })
  .strict()
  .openapi("SubjectShareInput");
export type SubjectShareInput = z.infer<typeof SubjectShareInput>;
