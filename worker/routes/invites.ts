import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import { InviteAcceptInput, InviteAcceptResult, InviteLanding, InviteOverview, InviteProgramme, InviteProgrammeInput, MyInvites, ProgrammeActiveInput } from "../../schema/invites";
import { deviceOfRequest } from "../domain/device-token";
import { requireKey } from "../middleware/auth";
import { requireBuyer, shopper } from "../middleware/shopper";
import { acceptInvite, createProgramme, inviteLanding, myInvites, overview, setProgrammeActive } from "../services/invites";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

// Invite-both-get (邀请有礼, issue 18): the member's link, the invitee's acceptance, the operator's programme.
const shopTags = ["store"];
const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const shopErrors = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409], 429: errors[429] };

const mine = createRoute({
  method: "get", path: "/shop/{tenant}/member/invites", tags: shopTags, middleware: [shopper],
  summary: "My invite link code (members), the programme, whom I invited and my rewards", request: { params: Tenant },
  responses: { 200: json(MyInvites, "Invites"), ...shopErrors },
});
const landing = createRoute({
  method: "get", path: "/shop/{tenant}/invites/{code}", tags: shopTags, middleware: [shopper],
  summary: "What an invite link offers (the running programme, null when none runs); a code not of this store → 404", request: { params: Tenant.extend({ code: z.string().min(6).max(32) }) },
  responses: { 200: json(InviteLanding, "Programme"), ...shopErrors },
});
const accept = createRoute({
  method: "post", path: "/shop/{tenant}/invites/accept", tags: shopTags, middleware: [shopper],
  summary: "Join the brand through an invite link: recorded once (accepted), or refused with a reason (self_invite_phone, self_invite_device, already_member…)",
  request: { params: Tenant, ...jsonBody(InviteAcceptInput) }, responses: { 200: json(InviteAcceptResult, "Outcome"), ...shopErrors },
});

export const shopInviteRoutes = createRouter()
  .openapi(mine, async (c) => {
    const { tenantId, slug } = c.var.shopper;
    const deviceId = await deviceOfRequest(c.env.BUYER_SESSION_SECRET, tenantId, slug, c.req.raw.headers);
    return c.json(await myInvites(c.env, tenantId, requireBuyer(c), deviceId), 200);
  })
  .openapi(landing, async (c) => {
    return c.json(await inviteLanding(c.env, c.var.shopper.tenantId, c.req.valid("param").code), 200);
  })
  .openapi(accept, async (c) => {
    const { tenantId, slug } = c.var.shopper;
    const deviceId = await deviceOfRequest(c.env.BUYER_SESSION_SECRET, tenantId, slug, c.req.raw.headers);
    return c.json(await acceptInvite(c.env, tenantId, requireBuyer(c), c.req.valid("json").code, deviceId), 200);
  });

const tags = ["invites"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };
const create = createRoute({
  method: "post", path: "/invites/programmes", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Create an invite programme (inviter and invitee reward products); an active one ends the one before",
  request: jsonBody(InviteProgrammeInput), responses: { 201: json(InviteProgramme, "Created"), 422: errors[400], ...common },
} satisfies RouteConfig);
const watch = createRoute({
  method: "get", path: "/invites", tags, security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Programmes, invites by status, refusals by reason, rewards issued and reversed, latest invites",
  responses: { 200: json(InviteOverview, "Overview"), ...common },
});
const active = createRoute({
  method: "post", path: "/invites/programmes/{programmeId}/status", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Start or stop a programme", request: { params: z.object({ programmeId: z.string().min(1).max(64) }), ...jsonBody(ProgrammeActiveInput) },
  responses: { 200: json(InviteProgramme, "Programme"), 404: errors[404], ...common },
});

export const inviteAdminRoutes = createRouter()
  .openapi(create, async (c) => c.json(await createProgramme(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(watch, async (c) => c.json(await overview(c.env, c.var.principal.tenantId), 200))
  .openapi(active, async (c) => c.json(await setProgrammeActive(c.env, c.var.principal.tenantId, c.req.valid("param").programmeId, c.req.valid("json").active), 200));
