import { z } from "@hono/zod-openapi";
import { text } from "./text";

/** Invite-both-get (邀请有礼, issue 18): the operator's programme, a member's invite link, the operator's watch. */
const Id = z.string().min(1).max(64);

export const InviteProgrammeInput = z
  .object({
    name: text().trim().min(1).max(60),
    /** What the inviter gets (a coupon or card-key product) once the invitee's first paid order lands. */
    inviterProductId: Id,
    /** What the invitee gets then. */
    inviteeProductId: Id,
    /** Active now (one active programme per brand: activating one ends the one before). */
    active: z.boolean().default(true),
    rules: z.string().max(2000).default(""),
  })
  .strict()
  .openapi("InviteProgrammeInput");
export type InviteProgrammeInput = z.output<typeof InviteProgrammeInput>;

export const InviteProgramme = z
  .object({
    id: Id, name: z.string(), inviterProductId: Id, inviterProductName: z.string().nullable(), inviteeProductId: Id,
    inviteeProductName: z.string().nullable(), active: z.boolean(), rules: z.string(), createdAt: z.string(),
  })
  .openapi("InviteProgramme");
export type InviteProgramme = z.output<typeof InviteProgramme>;

export const InviteAcceptInput = z.object({ code: z.string().trim().min(6).max(32) }).strict().openapi("InviteAcceptInput");

export const InviteStatus = z.enum(["accepted", "qualified", "rewarded", "reversed", "refused"]);

export const InviteAcceptResult = z
  .object({ status: InviteStatus, reason: z.string().nullable(), programme: InviteProgramme })
  .openapi("InviteAcceptResult");

/** The member centre's 邀请有礼 section. */
export const MyInvites = z
  .object({
    programme: InviteProgramme.nullable(),
    code: z.string().nullable(),
    invited: z.number().int(),
    rewarded: z.number().int(),
    invites: z.array(z.object({ name: z.string(), status: InviteStatus, at: z.string() })),
    rewards: z.array(z.object({ role: z.enum(["inviter", "invitee"]), productName: z.string().nullable(), status: z.enum(["issued", "reversed"]), orderId: z.string(), at: z.string() })),
  })
  .openapi("MyInvites");

export const InviteOverview = z
  .object({
    programmes: z.array(InviteProgramme),
    byStatus: z.record(z.string(), z.number().int()),
    refusals: z.record(z.string(), z.number().int()),
    rewards: z.object({ issued: z.number().int(), reversed: z.number().int() }),
    recent: z.array(z.object({ id: z.string(), status: InviteStatus, reason: z.string().nullable(), firstOrderId: z.string().nullable(), createdAt: z.string() })),
  })
  .openapi("InviteOverview");

/** What an invite link shows before joining: the running programme (null when none), never the inviter's id. */
export const InviteLanding = z.object({ programme: InviteProgramme.nullable() }).openapi("InviteLanding");

export const ProgrammeActiveInput = z.object({ active: z.boolean() }).strict().openapi("ProgrammeActiveInput");
