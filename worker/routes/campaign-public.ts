import { ErrorBody } from "../../schema/errors";
import { createRoute, z } from "@hono/zod-openapi";
import { OrderView } from "../../schema/orders";
import { Campaign, CampaignList, CampaignSession, CampaignSessionInput, CampaignLive, ClaimInput, ClaimResult, DrawExport, TaskInput, TaskResult, UserId, UserStanding } from "../../schema/campaigns";
import { verifyPreview } from "../domain/campaign-preview";
import { edgeCityOf } from "../domain/edge-city";
import { tenantBySlug } from "../services/tenants";
import { storefrontOrder } from "../domain/campaign-order";
import { ApiError } from "../errors";
import { campaignSession, claim, claimMeta, claimOrder, deviceOf, liveClaimant } from "../services/claim";
import { campaignLive, exportDraws, listTenantCampaigns, withStockState, publicCampaign, publicCampaignView, userStanding } from "../services/campaigns";
import { createRouter, errors, json, jsonBody, optionalJsonBody } from "./router";
import { ShareInput, ShareResult } from "../../schema/acquisition";
import { enforceRateLimit } from "../middleware/rate-limit";
import { createShare } from "../services/shares";
import { completeTask } from "../services/campaign-tasks";
import { embeddingOrigin } from "../services/acquisition";

const SHARES_PER_MIN = 30; // per sharer: a share sheet opened again and again still counts, but no flood

/** Storefront routes: no API key (brands embed them; CORS follows the tenant's allowed origins). */
const tags = ["campaigns (public)"];
const params = z.object({ campaignId: z.string().min(1).max(64) });
const deviceHeader = z.object({
  "x-device-id": z.string().max(100).optional().openapi({ description: "The signed device token from POST …/session (deviceToken); anything else counts as no device" }),
  "x-kaquan-challenge": z.string().max(2048).optional().openapi({ description: "The answer to a 403 challenge_required (sandbox: `<token>~<counter>`; Turnstile: its token)" }),
  "x-kaquan-pass": z.string().max(200).optional().openapi({ description: "The pass a solved challenge answered with (X-Kaquan-Pass response header); valid 30 minutes for this buyer" }),
  "x-kaquan-webdriver": z.enum(["0", "1"]).optional().openapi({ description: "The page's navigator.webdriver (a risk signal)" }),
});

async function found(env: Env, id: string): Promise<Campaign> {
  const hit = await publicCampaign(env, id);
  if (!hit) throw ApiError.notFound("Campaign");
  return hit.campaign;
}

const byTenant = createRoute({
  method: "get",
  path: "/public/tenants/{slug}/campaigns",
  tags,
  summary: "A brand's campaigns, for its storefront pages",
  description: "Running campaigns first (ending soonest first; paused or sold-out ones after them), then scheduled ones (starting soonest first), then ended ones (latest end first).",
  request: { params: z.object({ slug: z.string().min(1).max(40) }) },
  responses: { 200: json(CampaignList, "Campaigns"), 404: errors[404] },
});

const get = createRoute({
  method: "get",
  path: "/public/campaigns/{campaignId}",
  tags,
  summary: "A campaign with its published odds, seed commitment and (after the end) the seed",
  description: "With an operator's preview token (POST /campaigns/{id}/preview), a scheduled campaign reads as live with preview: true; claims from a preview are refused (409 preview_only).",
  request: { params, query: z.object({ preview: z.string().max(100).optional() }) },
  responses: { 200: json(Campaign, "Campaign"), 403: errors[403], 404: errors[404] },
});

const live = createRoute({
  method: "get",
  path: "/public/campaigns/{campaignId}/live",
  tags,
  summary: "Live stock, server time and draw-log heads",
  request: { params },
  responses: { 200: json(CampaignLive, "Live state"), 404: errors[404] },
});

const claimRoute = createRoute({
  method: "post",
  path: "/public/campaigns/{campaignId}/claims",
  tags,
  summary: "Claim a flash-sale unit or coupon, or make a lottery draw; the result is immediate",
  description: "403 phone_required / member_required / account_too_new (Retry-After) when the campaign's entry rules are not met; 409 ip_limit_reached / device_limit_reached / phone_limit_reached at the campaign-wide limits.",
  request: { params, headers: deviceHeader, ...jsonBody(ClaimInput) },
  responses: {
    200: json(ClaimResult, "Claimed or drawn"),
    400: errors[400],
    401: errors[401],
    403: json(ErrorBody, "blocked (a block list), challenge_required / challenge_invalid (error.challenge says what to solve), phone_required / member_required / account_too_new (entry rules), origin_not_allowed"),
    404: errors[404],
    409: errors[409],
    429: errors[429],
  },
});

const session = createRoute({
  method: "post",
  path: "/public/campaigns/{campaignId}/session",
  tags,
  summary: "A buyer session for an embedded campaign (widget): the brand member a member token names, the current buyer, or a new guest; send the token as Bearer and deviceToken as x-device-id",
  description: "401 member_token_invalid / member_token_expired / member_token_audience / member_tokens_disabled when memberToken does not verify.",
  request: { params, headers: deviceHeader, ...optionalJsonBody(CampaignSessionInput) },
  responses: { 200: json(CampaignSession, "Session"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const task = createRoute({
  method: "post",
  path: "/public/campaigns/{campaignId}/tasks/{taskId}",
  tags,
  summary: "Record a completed task (e.g. a share) for extra draws today; never required to take part",
  request: { params: params.extend({ taskId: z.string().min(1).max(32) }), ...jsonBody(TaskInput) },
  responses: { 200: json(TaskResult, "Chances"), 400: errors[400], 404: errors[404], 409: errors[409] },
});

const standing = createRoute({
  method: "get",
  path: "/public/campaigns/{campaignId}/users/{userId}",
  tags,
  summary: "What a user has claimed and may still do today; only for that user's own signed session (cookie or Bearer)",
  description: "Without a session 401; with another buyer's session 403 (a standing is personal data: claims, wins, orders).",
  request: { params: params.extend({ userId: UserId }) },
  responses: { 200: json(UserStanding, "Standing"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] },
});

const share = createRoute({
  method: "post",
  path: "/public/campaigns/{campaignId}/shares",
  tags,
  summary: "Share the campaign: a link with an opaque share code (records share_sent); needs the buyer's signed session",
  request: { params, headers: deviceHeader, ...optionalJsonBody(ShareInput) },
  responses: { 201: json(ShareResult, "The share link"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const claimOrderRoute = createRoute({
  method: "get",
  path: "/public/campaigns/{campaignId}/claims/{claimId}/order",
  tags,
  summary: "Flash sale: the winner's order for a claim (awaiting payment, with checkoutUrl); only the claim's own buyer",
  request: { params: params.extend({ claimId: z.string().min(1).max(64) }) },
  responses: { 200: json(OrderView, "The order and its vouchers"), 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409] },
});

const draws = createRoute({
  method: "get",
  path: "/public/campaigns/{campaignId}/draws",
  tags,
  summary: "After a lottery ends: the seed and every draw, for scripts/verify-draws",
  request: { params },
  responses: { 200: json(DrawExport, "Draw export"), 400: errors[400], 404: errors[404], 409: errors[409] },
});

export const campaignPublicRoutes = createRouter()
  .openapi(byTenant, async (c) => {
    const tenant = await tenantBySlug(c.env, c.req.valid("param").slug);
    if (!tenant) throw ApiError.notFound("Tenant");
    const listed = await withStockState(c.env, await listTenantCampaigns(c.env, tenant.id));
    return c.json({ campaigns: storefrontOrder(listed) }, 200);
  })
  .openapi(get, async (c) => {
    const hit = await publicCampaign(c.env, c.req.valid("param").campaignId);
    if (!hit) throw ApiError.notFound("Campaign");
    const view = await publicCampaignView(c.env, hit);
    const token = c.req.valid("query").preview;
    if (token === undefined) return c.json(view, 200);
    if (!(await verifyPreview(c.env.BUYER_SESSION_SECRET, view.id, token))) {
      throw new ApiError(403, "preview_expired", "The preview link is invalid or has expired; open a new one from the console");
    }
    return c.json({ ...view, preview: true, phase: view.phase === "scheduled" ? ("live" as const) : view.phase }, 200);
  })
  .openapi(live, async (c) => c.json(await campaignLive(c.env, await found(c.env, c.req.valid("param").campaignId)), 200))
  .openapi(claimRoute, async (c) => {
    const answer: Record<string, string> = {};
    const result = await claim(c.env, c.req.valid("param").campaignId, c.req.valid("json"), c.req.raw.headers, answer, undefined, edgeCityOf(c.req.raw));
    for (const [k, v] of Object.entries(answer)) c.header(k, v);
    return c.json(result, 200);
  })
  .openapi(session, async (c) => {
    const meta = claimMeta(c.req.raw.headers);
    const origin = embeddingOrigin(c.req.raw.headers, c.req.url);
    return c.json(await campaignSession(c.env, c.req.valid("param").campaignId, meta, c.req.valid("json"), origin), 200);
  })
  .openapi(task, async (c) => {
    const { campaignId, taskId } = c.req.valid("param");
    return c.json(await completeTask(c.env, campaignId, taskId, c.req.valid("json"), claimMeta(c.req.raw.headers)), 200);
  })
  .openapi(share, async (c) => {
    const hit = await publicCampaign(c.env, c.req.valid("param").campaignId);
    if (!hit) throw ApiError.notFound("Campaign");
    const meta = claimMeta(c.req.raw.headers);
    const sharerId = await liveClaimant(c.env, hit, {}, meta);
    await enforceRateLimit(c.env, "share", sharerId, SHARES_PER_MIN, 60);
    return c.json(await createShare(c.env, hit, sharerId, c.req.valid("json").channel ?? null, await deviceOf(c.env, hit, meta)), 201);
  })
  .openapi(standing, async (c) => {
    const { campaignId, userId } = c.req.valid("param");
    const hit = await publicCampaign(c.env, campaignId);
    if (!hit) throw ApiError.notFound("Campaign");
    await liveClaimant(c.env, hit, { userId }, claimMeta(c.req.raw.headers));
    return c.json(await userStanding(c.env, hit.campaign, userId), 200);
  })
  .openapi(claimOrderRoute, async (c) => {
    const { campaignId, claimId } = c.req.valid("param");
    return c.json(await claimOrder(c.env, campaignId, claimId, c.req.raw.headers), 200);
  })
  .openapi(draws, async (c) => c.json(await exportDraws(c.env, await found(c.env, c.req.valid("param").campaignId)), 200));
