import { createRoute, z } from "@hono/zod-openapi";
import { Campaign, CampaignList, CampaignLive, CampaignPreview, CreateCampaignInput, DrawExport, UpdateCampaignInput } from "../../schema/campaigns";
import { ErrorBody } from "../../schema/errors";
import { requireKey } from "../middleware/auth";
import { campaignLive, createCampaign, duplicateCampaign, exportDraws, listTenantCampaigns, withStockState, loadCampaign, previewLink, setPaused, updateCampaign } from "../services/campaigns";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["campaigns"];
const middleware = [requireKey("operator")];
const params = z.object({ campaignId: z.string().min(1).max(64) });

const create = createRoute({
  method: "post",
  path: "/campaigns",
  tags,
  summary: "Create a flash sale, coupon claim or lottery (a lottery's seed commitment is fixed here)",
  security: bearerAuth,
  middleware,
  request: jsonBody(CreateCampaignInput),
  responses: { 201: json(Campaign, "Created"), 400: errors[400], 422: json(ErrorBody, "prize_without_product (a prize names no product to deliver), campaign_copy_refused, campaign_product_copy_refused (a product it offers has copy a publish would refuse), prize_above_legal_cap"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const list = createRoute({
  method: "get",
  path: "/campaigns",
  tags,
  summary: "This tenant's campaigns",
  security: bearerAuth,
  middleware,
  responses: { 200: json(CampaignList, "Campaigns"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const get = createRoute({
  method: "get",
  path: "/campaigns/{campaignId}",
  tags,
  summary: "One campaign",
  security: bearerAuth,
  middleware,
  request: { params },
  responses: { 200: json(Campaign, "Campaign"), 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const patch = createRoute({
  method: "patch",
  path: "/campaigns/{campaignId}",
  tags,
  summary: "Edit a campaign: name and description always; stock, odds, limits and timing only before it starts",
  security: bearerAuth,
  middleware,
  request: { params, ...jsonBody(UpdateCampaignInput) },
  responses: { 200: json(Campaign, "Updated"), 400: errors[400], 422: json(ErrorBody, "prize_without_product (a prize names no product to deliver), campaign_copy_refused, campaign_product_copy_refused (a product it offers has copy a publish would refuse), prize_above_legal_cap"), 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409], 429: errors[429] },
});

const live = createRoute({
  method: "get",
  path: "/campaigns/{campaignId}/live",
  tags,
  summary: "Remaining stock and draw-log heads",
  security: bearerAuth,
  middleware,
  request: { params },
  responses: { 200: json(CampaignLive, "Live state"), 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const draws = createRoute({
  method: "get",
  path: "/campaigns/{campaignId}/draws",
  tags,
  summary: "The revealed seed and full draw log of an ended lottery",
  security: bearerAuth,
  middleware,
  request: { params },
  responses: { 200: json(DrawExport, "Draw export"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409], 429: errors[429] },
});

const action = (path: string, summary: string, ok: number, body: typeof Campaign | typeof CampaignPreview, conflict: boolean) =>
  createRoute({
    method: "post",
    path: `/campaigns/{campaignId}/${path}`,
    tags,
    summary,
    security: bearerAuth,
    middleware,
    request: { params },
    responses: {
      [ok]: json(body, "Done"), 401: errors[401], 403: errors[403], 404: errors[404], ...(conflict ? { 409: errors[409] } : {}), 429: errors[429],
    },
  });
const pause = action("pause", "Pause: claims and draws are refused (409 campaign_paused) until resumed", 200, Campaign, true);
const resume = action("resume", "Resume a paused campaign", 200, Campaign, true);
const duplicate = action("duplicate", "A new campaign with the same definition and a new id, paused (a draft), starting a day from now at the earliest", 201, Campaign, false);
const preview = action("preview", "A signed 30-minute link to the public page in preview mode (claims from it are refused)", 200, CampaignPreview, false);

export const campaignRoutes = createRouter()
  .openapi(create, async (c) => c.json(await createCampaign(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(list, async (c) => c.json({ campaigns: await withStockState(c.env, await listTenantCampaigns(c.env, c.var.principal.tenantId)) }, 200))
  .openapi(get, async (c) => c.json(await loadCampaign(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId), 200))
  .openapi(patch, async (c) =>
    c.json(await updateCampaign(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId, c.req.valid("json")), 200),
  )
  .openapi(pause, async (c) => c.json(await setPaused(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId, true), 200))
  .openapi(resume, async (c) => c.json(await setPaused(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId, false), 200))
  .openapi(duplicate, async (c) => c.json(await duplicateCampaign(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId), 201))
  .openapi(preview, async (c) =>
    c.json(await previewLink(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId, new URL(c.req.url).origin), 200),
  )
  .openapi(live, async (c) => {
    const campaign = await loadCampaign(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId);
    return c.json(await campaignLive(c.env, campaign), 200);
  })
  .openapi(draws, async (c) => {
    const campaign = await loadCampaign(c.env, c.var.principal.tenantId, c.req.valid("param").campaignId);
    return c.json(await exportDraws(c.env, campaign), 200);
  });
