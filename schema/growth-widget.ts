import { z } from "@hono/zod-openapi";

/**
 * What the embeddable widget (site/widget/widget.ts) reads to show a group buy (拼团), an assist activity (助力) or an
 * invite programme (邀请有礼) on a brand's page:
 *   GET /api/v1/public/{slug}/group-buys/{id}, /assists/{id}, /invites/{id}
 * (worker/routes/growth-widget.ts: only running things of that brand, CORS for the tenant's allowed origins). `url` is
 * the page to open (path on the platform origin); left out, the widget links to /shop/group|assist|invite/?t=&id=.
 */
const Id = z.string().min(1).max(64);
const Cents = z.number().int().nonnegative();
const Url = z.string().max(500).optional();

export const WidgetGroupBuy = z
  .object({
    id: Id,
    name: z.string().max(200),
    image: z.string().max(500).nullable().optional(),
    priceCents: Cents.openapi({ description: "The product's normal price" }),
    groupPriceCents: Cents,
    size: z.number().int().min(2).openapi({ description: "Members per team" }),
    teamMinutes: z.number().int().positive().openapi({ description: "Time a team has to fill" }),
    openTeams: z.number().int().nonnegative().optional().openapi({ description: "Teams open now that a visitor may join" }),
    autoComplete: z.boolean().optional().openapi({ description: "The operator fills a team that runs out of time (disclosed on the card)" }),
    endsAt: z.string().nullable().optional(),
    url: Url,
  })
  .openapi("WidgetGroupBuy");

export const WidgetAssist = z
  .object({
    id: Id,
    name: z.string().max(200),
    image: z.string().max(500).nullable().optional(),
    goal: z.number().int().positive().openapi({ description: "Helps needed" }),
    minutes: z.number().int().positive().openapi({ description: "Time to reach the goal" }),
    reward: z.string().max(200).openapi({ description: "What the requester gets, as shown" }),
    endsAt: z.string().nullable().optional(),
    url: Url,
  })
  .openapi("WidgetAssist");

export const WidgetInvite = z
  .object({
    id: Id,
    name: z.string().max(200),
    inviterReward: z.string().max(200),
    inviteeReward: z.string().max(200),
    endsAt: z.string().nullable().optional(),
    url: Url,
  })
  .openapi("WidgetInvite");

export type WidgetGroupBuy = z.infer<typeof WidgetGroupBuy>;
export type WidgetAssist = z.infer<typeof WidgetAssist>;
export type WidgetInvite = z.infer<typeof WidgetInvite>;
export const WIDGET_MODES = { groupBuy: "group-buys", assist: "assists", invite: "invites", qualifications: "qualifications" } as const;
// data-qualifications: GET /api/v1/public/{slug}/qualifications (contract: schema/qualifications.ts Qualifications).
