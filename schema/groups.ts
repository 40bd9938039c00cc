import { z } from "@hono/zod-openapi";
import { text } from "./text";

/** Group buys (拼团): the operator's definition, teams, and what a buyer's page shows. */
const Instant = z.iso.datetime({ offset: true });

export const CreateGroupBuyInput = z
  .object({
    productId: z.string().min(1).max(64),
    name: text().trim().min(1).max(80),
    groupPriceCents: z.number().int().min(1).max(10_000_000),
    teamSize: z.number().int().min(2).max(10),
    teamMinutes: z.number().int().min(5).max(1440),
    startsAt: Instant.optional().openapi({ description: "Default: now" }),
    endsAt: Instant,
    autoComplete: z.boolean().default(false).openapi({ description: "Complete a team short of members at its deadline (disclosed on the page); off by default" }),
  })
  .strict()
  .refine((v) => !v.startsAt || Date.parse(v.endsAt) > Date.parse(v.startsAt), { path: ["endsAt"], message: "endsAt must be after startsAt", params: { reason: "invalid_window" } })
  .openapi("CreateGroupBuyInput");
export type CreateGroupBuyInput = z.infer<typeof CreateGroupBuyInput>;

export const GroupBuy = z
  .object({
    id: z.string(),
    productId: z.string(),
    productName: z.string(),
    name: z.string(),
    priceCents: z.number().int().openapi({ description: "The product's normal price" }),
    groupPriceCents: z.number().int(),
    teamSize: z.number().int(),
    teamMinutes: z.number().int(),
    startsAt: z.string(),
    endsAt: z.string(),
    autoComplete: z.boolean(),
    status: z.enum(["active", "closed"]),
    createdAt: z.string(),
  })
  .openapi("GroupBuy");
export type GroupBuy = z.infer<typeof GroupBuy>;

/** A member as others see them: a masked phone (138****0202) or 会员A for a guest. */
export const GroupMember = z.object({ name: z.string(), seat: z.number().int(), leader: z.boolean(), you: z.boolean().optional() }).openapi("GroupMember");

export const GroupTeam = z
  .object({
    id: z.string(),
    groupBuyId: z.string(),
    status: z.enum(["open", "completed", "failed"]),
    size: z.number().int(),
    members: z.array(GroupMember).openapi({ description: "Paid members, in seat order" }),
    waiting: z.number().int().openapi({ description: "Joined, not paid yet (their seat is not counted until paid)" }),
    expiresAt: z.string(),
    openedAt: z.string(),
    settledAt: z.string().nullable(),
    failReason: z.string().nullable(),
    autoCompleted: z.boolean(),
  })
  .openapi("GroupTeam");
export type GroupTeam = z.infer<typeof GroupTeam>;

export const GroupBuyDetail = GroupBuy.extend({ teams: z.array(GroupTeam) }).openapi("GroupBuyDetail");
export const GroupTeamCounts = z
  .object({ open: z.number().int(), completed: z.number().int(), failed: z.number().int() })
  .openapi("GroupTeamCounts", { description: "Teams filling now, full (delivered) and failed (refunded)" });
export const GroupBuyList = z.object({ groupBuys: z.array(GroupBuy.extend({ teamCounts: GroupTeamCounts })) }).openapi("GroupBuyList");

/** The buyer's own seat: its order and, while unpaid, the cashier. */
export const GroupSeat = z
  .object({
    orderId: z.string(),
    orderStatus: z.string(),
    status: z.enum(["held", "paid", "refused"]),
    checkoutUrl: z.string().optional(),
  })
  .openapi("GroupSeat");

export const GroupTeamView = z
  .object({
    groupBuy: GroupBuy, team: GroupTeam, mine: GroupSeat.nullable(),
    serverTime: z.string().openapi({ description: "The server's clock when it answered: the page counts down to expiresAt from it, not from the phone's own clock" }),
  })
  .openapi("GroupTeamView");
export type GroupTeamView = z.infer<typeof GroupTeamView>;

export const ActiveGroupBuys = z
  .object({
    groupBuys: z.array(GroupBuy).openapi({ description: "Running now, newest first" }),
    upcoming: z.array(GroupBuy).openapi({ description: "Not started yet, soonest first (at most 5)" }),
  })
  .openapi("ActiveGroupBuys");
