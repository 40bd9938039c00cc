import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ErrorBody } from "../../schema/errors";
import { ActiveGroupBuys, CreateGroupBuyInput, GroupBuy, GroupBuyDetail, GroupBuyList, GroupTeamView } from "../../schema/groups";
import { deviceOfRequest } from "../domain/device-token";
import { requireKey } from "../middleware/auth";
import { clientIp, enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import { buyerOrGuest, shopper } from "../middleware/shopper";
import { activeGroupBuysOf, closeGroupBuyOf, createGroupBuy, groupBuyDetail, joinTeam, listGroupBuysOf, openTeam, teamView } from "../services/groups";
import { assertNotBlocked } from "../services/risk-gate";
import type { AppEnv } from "../types";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const admin = { tags: ["group-buys"], security: bearerAuth, middleware: [requireKey("operator")] };
const GroupBuyId = z.object({ groupBuyId: z.string().min(1).max(64) });
const authErrors = { 401: errors[401], 403: errors[403], 429: errors[429] };

const create = createRoute({
  method: "post", path: "/group-buys", ...admin, summary: "Create a group buy (拼团): a published product at a group price for teams of N within T minutes",
  request: jsonBody(CreateGroupBuyInput),
  responses: { 201: json(GroupBuy, "Created"), 400: errors[400], 404: errors[404], 422: json(ErrorBody, "The product or price does not fit (issues name the field)"), ...authErrors },
});
const list = createRoute({
  method: "get", path: "/group-buys", ...admin, summary: "This tenant's group buys",
  responses: { 200: json(GroupBuyList, "Group buys"), ...authErrors },
});
const detail = createRoute({
  method: "get", path: "/group-buys/{groupBuyId}", ...admin, summary: "One group buy with its teams (members masked, status, deadline)",
  request: { params: GroupBuyId }, responses: { 200: json(GroupBuyDetail, "Group buy"), 404: errors[404], ...authErrors },
});
const close = createRoute({
  method: "post", path: "/group-buys/{groupBuyId}/close", ...admin, summary: "Close: no new teams; open teams fail and their paid members are refunded",
  request: { params: GroupBuyId }, responses: { 200: json(GroupBuyDetail, "Closed"), 404: errors[404], ...authErrors },
});

export const groupAdminRoutes = createRouter()
  .openapi(create, async (c) => c.json(await createGroupBuy(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(list, async (c) => c.json(await listGroupBuysOf(c.env, c.var.principal.tenantId), 200))
  .openapi(detail, async (c) => c.json(await groupBuyDetail(c.env, c.var.principal.tenantId, c.req.valid("param").groupBuyId), 200))
  .openapi(close, async (c) => c.json(await closeGroupBuyOf(c.env, c.var.principal.tenantId, c.req.valid("param").groupBuyId), 200));

const store = { tags: ["store"], middleware: [shopper] };
const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const TeamParams = Tenant.extend({ teamId: z.string().min(1).max(64) });
const common = { 400: errors[400], 403: json(ErrorBody, "blocked: the phone, device or network is on a block list"), 404: errors[404], 429: errors[429] };

const active = createRoute({
  method: "get", path: "/shop/{tenant}/group-buys", ...store, summary: "Group buys running now and those not started yet (optionally of one product, or one group buy)",
  request: { params: Tenant, query: z.object({ productId: z.string().min(1).max(64).optional(), groupBuyId: z.string().min(1).max(64).optional() }) },
  responses: { 200: json(ActiveGroupBuys, "Group buys"), ...common },
});
const open = createRoute({
  method: "post", path: "/shop/{tenant}/group-buys/{groupBuyId}/teams", ...store,
  summary: "Open a team (发起拼团): the leader's order at the group price; pay it at checkoutUrl (a guest session is started if none)",
  request: { params: Tenant.merge(GroupBuyId) },
  responses: { 201: json(GroupTeamView, "Opened"), 409: errors[409], ...common },
});
const team = createRoute({
  method: "get", path: "/shop/{tenant}/group-teams/{teamId}", ...store, summary: "A team: members (masked), countdown, status, and my seat",
  request: { params: TeamParams }, responses: { 200: json(GroupTeamView, "Team"), ...common },
});
const join = createRoute({
  method: "post", path: "/shop/{tenant}/group-teams/{teamId}/join", ...store,
  summary: "Join a team through its link: my seat's order (one per buyer per team); a repeat returns the same seat",
  request: { params: TeamParams }, responses: { 200: json(GroupTeamView, "Joined"), 409: errors[409], ...common },
});

/** Seat orders hold stock: the same per-IP ceiling and block lists as shop orders. */
async function guardSeat(c: Context<AppEnv>) {
  await enforceRateLimit(c.env, "order-ip", clientIpKey(c), Number(c.env.ORDER_IP_LIMIT_PER_MIN) || 120, 60);
  const deviceId = await deviceOfRequest(c.env.BUYER_SESSION_SECRET, c.var.shopper.tenantId, c.var.shopper.slug, c.req.raw.headers);
  await assertNotBlocked(c.env, c.var.shopper.tenantId, "order", { ip: clientIp(c), deviceId, buyerId: c.var.shopper.buyerId });
  return buyerOrGuest(c);
}

export const groupShopRoutes = createRouter()
  .openapi(active, async (c) => {
    const q = c.req.valid("query");
    return c.json(await activeGroupBuysOf(c.env, c.var.shopper.tenantId, q.productId ?? null, q.groupBuyId ?? null), 200);
  })
  .openapi(open, async (c) => {
    const buyerId = await guardSeat(c);
    return c.json(await openTeam(c.env, c.var.shopper.tenantId, buyerId, c.req.valid("param").groupBuyId), 201);
  })
  .openapi(team, async (c) => c.json(await teamView(c.env, c.var.shopper.tenantId, c.req.valid("param").teamId, c.var.shopper.buyerId), 200))
  .openapi(join, async (c) => {
    const buyerId = await guardSeat(c);
    return c.json(await joinTeam(c.env, c.var.shopper.tenantId, buyerId, c.req.valid("param").teamId), 200);
  });
