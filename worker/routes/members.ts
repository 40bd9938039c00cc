import { createRoute, z } from "@hono/zod-openapi";
import {
  BirthdayInput, CityInput, GrowthRules, MemberCard, MemberSearchQuery, MemberSummary, MemberView, PaidCardPlan, PaidCardPlanInput, TagsInput, Tier, TierInput,
} from "../../schema/members";
import { requireKey } from "../middleware/auth";
import { requireBuyer, shopper } from "../middleware/shopper";
import { ApiError } from "../errors";
import { claimMeta, liveClaimant } from "../services/claim";
import { publicCampaign } from "../services/campaigns";
import {
  findMembers, getGrowthRules, joinAndView, listPaidCardPlans, listTiers, memberCardOfBuyer, memberForOperator, removeTier, saveGrowthRules,
  savePaidCardPlan, saveTier, setMemberTags, setMyBirthday, setMyCity,
} from "../services/membership";
import { myConsents } from "../services/privacy";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const shopTags = ["store"];
const mine = { 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] };

const card = createRoute({
  method: "get", path: "/shop/{tenant}/member", tags: shopTags, middleware: [shopper],
  summary: "My member card in this brand (null until I join): tier in force, growth and progress, points, privileges, history",
  request: { params: Tenant }, responses: { 200: json(MemberView, "Card"), ...mine },
});
const join = createRoute({
  method: "post", path: "/shop/{tenant}/member/join", tags: shopTags, middleware: [shopper],
  summary: "Join the brand's membership (idempotent: a repeat answers the same card)",
  request: { params: Tenant }, responses: { 200: json(MemberView, "Card"), ...mine },
});
const birthday = createRoute({
  method: "put", path: "/shop/{tenant}/member/birthday", tags: shopTags, middleware: [shopper],
  summary: "Set my birthday (MM-DD) for the birthday gift; needs marketing consent, and withdrawing it clears the birthday",
  request: { params: Tenant, ...jsonBody(BirthdayInput) }, responses: { 200: json(MemberView, "Card"), 400: errors[400], ...mine },
});
const city = createRoute({
  method: "put", path: "/shop/{tenant}/member/city", tags: shopTags, middleware: [shopper],
  summary: "Set my city (null clears it) for the brand's city offers; without one, the request's location is used",
  request: { params: Tenant, ...jsonBody(CityInput) }, responses: { 200: json(MemberView, "Card"), 400: errors[400], ...mine },
});

export const shopMemberRoutes = createRouter()
  .openapi(card, async (c) => {
    const buyerId = c.var.shopper.buyerId;
    return c.json({ member: buyerId ? await memberCardOfBuyer(c.env, c.var.shopper.tenantId, buyerId) : null }, 200);
  })
  .openapi(join, async (c) => {
    const { tenantId } = c.var.shopper;
    return c.json({ member: await joinAndView(c.env, tenantId, requireBuyer(c)) }, 200);
  })
  .openapi(birthday, async (c) => {
    const { tenantId } = c.var.shopper;
    const buyerId = requireBuyer(c);
    const consent = (await myConsents(c.env, tenantId, buyerId)).marketing;
    return c.json({ member: await setMyBirthday(c.env, tenantId, buyerId, c.req.valid("json").birthday, consent) }, 200);
  })
  .openapi(city, async (c) => c.json({ member: await setMyCity(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("json").city) }, 200));

// The widget: the campaign session (Bearer, e.g. a brand member token's buyer) sees and joins the brand's card.
const params = z.object({ campaignId: z.string().min(1).max(64) });
const widgetCard = createRoute({
  method: "get", path: "/public/campaigns/{campaignId}/member", tags: ["campaigns (public)"],
  summary: "The member card of the campaign session's buyer in the campaign's brand (widget); null until joined",
  request: { params }, responses: { 200: json(MemberView, "Card"), ...mine },
});
const widgetJoin = createRoute({
  method: "post", path: "/public/campaigns/{campaignId}/member/join", tags: ["campaigns (public)"],
  summary: "Join the campaign's brand as the session's buyer (widget; a member token's buyer joins via member_token)",
  request: { params }, responses: { 200: json(MemberView, "Card"), ...mine },
});

async function widgetBuyer(env: Env, campaignId: string, headers: Headers) {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const buyerId = await liveClaimant(env, hit, {}, claimMeta(headers));
  return { tenantId: hit.campaign.tenantId, buyerId };
}

export const memberWidgetRoutes = createRouter()
  .openapi(widgetCard, async (c) => {
    const { tenantId, buyerId } = await widgetBuyer(c.env, c.req.valid("param").campaignId, c.req.raw.headers);
    return c.json({ member: await memberCardOfBuyer(c.env, tenantId, buyerId) }, 200);
  })
  .openapi(widgetJoin, async (c) => {
    const { tenantId, buyerId } = await widgetBuyer(c.env, c.req.valid("param").campaignId, c.req.raw.headers);
    return c.json({ member: await joinAndView(c.env, tenantId, buyerId) }, 200);
  });

// Operator: tiers and privileges, growth rules, paid cards, member search, a member's card and history, tags.
const tags = ["members"];
const operator = [requireKey("operator")];
const admin = [requireKey("admin")];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };
const TierId = z.object({ tierId: z.string().min(1).max(64) });
const MemberId = z.object({ memberId: z.string().min(1).max(64) });
const ProductId = z.object({ productId: z.string().min(1).max(64) });

const tiers = createRoute({
  method: "get", path: "/members/tiers", tags, security: bearerAuth, middleware: operator, summary: "Tiers with their growth thresholds and privileges, by rank",
  responses: { 200: json(z.object({ tiers: z.array(Tier) }), "Tiers"), ...common },
});
const createTier = createRoute({
  method: "post", path: "/members/tiers", tags, security: bearerAuth, middleware: admin, summary: "Add a tier (rank unique; rank 0 with threshold 0 is the entry tier)",
  request: jsonBody(TierInput), responses: { 201: json(Tier, "Created"), 409: errors[409], ...common },
});
const putTier = createRoute({
  method: "put", path: "/members/tiers/{tierId}", tags, security: bearerAuth, middleware: admin,
  summary: "Change a tier; members reach a lowered threshold with their next growth, and a raised one only at the yearly review",
  request: { params: TierId, ...jsonBody(TierInput) }, responses: { 200: json(Tier, "Updated"), 404: errors[404], 409: errors[409], ...common },
});
const deleteTier = createRoute({
  method: "delete", path: "/members/tiers/{tierId}", tags, security: bearerAuth, middleware: admin, summary: "Remove a tier nobody holds",
  request: { params: TierId }, responses: { 200: json(z.object({ ok: z.literal(true) }), "Removed"), 404: errors[404], 409: errors[409], ...common },
});
const rules = createRoute({
  method: "get", path: "/members/growth-rules", tags, security: bearerAuth, middleware: operator, summary: "Growth per yuan paid, per action kind, and the review grace period",
  responses: { 200: json(GrowthRules, "Rules"), ...common },
});
const putRules = createRoute({
  method: "put", path: "/members/growth-rules", tags, security: bearerAuth, middleware: admin, summary: "Set the growth rules",
  request: jsonBody(GrowthRules), responses: { 200: json(GrowthRules, "Rules"), ...common },
});
const plans = createRoute({
  method: "get", path: "/members/paid-cards", tags, security: bearerAuth, middleware: operator, summary: "Paid membership card plans (products that grant a tier for a term)",
  responses: { 200: json(z.object({ plans: z.array(PaidCardPlan) }), "Plans"), ...common },
});
const putPlan = createRoute({
  method: "put", path: "/members/paid-cards/{productId}", tags, security: bearerAuth, middleware: admin,
  summary: "Make a product a paid membership card: the tier it grants, months per purchase, gift pack and monthly pack",
  request: { params: ProductId, ...jsonBody(PaidCardPlanInput) }, responses: { 200: json(PaidCardPlan, "Plan"), 404: errors[404], ...common },
});
const search = createRoute({
  method: "get", path: "/members", tags, security: bearerAuth, middleware: operator, summary: "Search members by card number or phone's last digits (phones masked), tier, tag",
  request: { query: MemberSearchQuery }, responses: { 200: json(z.object({ members: z.array(MemberSummary) }), "Members"), ...common },
});
const one = createRoute({
  method: "get", path: "/members/{memberId}", tags, security: bearerAuth, middleware: operator, summary: "A member's card and history",
  request: { params: MemberId }, responses: { 200: json(MemberCard, "Member"), 404: errors[404], ...common },
});
const putTags = createRoute({
  method: "put", path: "/members/{memberId}/tags", tags, security: bearerAuth, middleware: admin, summary: "Set a member's tags (recorded in the history)",
  request: { params: MemberId, ...jsonBody(TagsInput) }, responses: { 200: json(MemberCard, "Member"), 404: errors[404], ...common },
});

export const memberAdminRoutes = createRouter()
  .openapi(tiers, async (c) => c.json({ tiers: await listTiers(c.env, c.var.principal.tenantId) }, 200))
  .openapi(createTier, async (c) => c.json(await saveTier(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(putTier, async (c) => c.json(await saveTier(c.env, c.var.principal.tenantId, c.req.valid("json"), c.req.valid("param").tierId), 200))
  .openapi(deleteTier, async (c) => {
    await removeTier(c.env, c.var.principal.tenantId, c.req.valid("param").tierId);
    return c.json({ ok: true as const }, 200);
  })
  .openapi(rules, async (c) => c.json(await getGrowthRules(c.env, c.var.principal.tenantId), 200))
  .openapi(putRules, async (c) => c.json(await saveGrowthRules(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(plans, async (c) => c.json({ plans: await listPaidCardPlans(c.env, c.var.principal.tenantId) }, 200))
  .openapi(putPlan, async (c) => c.json(await savePaidCardPlan(c.env, c.var.principal.tenantId, c.req.valid("param").productId, c.req.valid("json")), 200))
  .openapi(search, async (c) => c.json({ members: await findMembers(c.env, c.var.principal.tenantId, c.req.valid("query")) }, 200))
  .openapi(one, async (c) => c.json(await memberForOperator(c.env, c.var.principal.tenantId, c.req.valid("param").memberId), 200))
  .openapi(putTags, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await setMemberTags(c.env, tenantId, c.req.valid("param").memberId, c.req.valid("json").tags, apiKeyId), 200);
  });
