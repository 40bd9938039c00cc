import { createRoute, z } from "@hono/zod-openapi";
import { WidgetAssist, WidgetGroupBuy, WidgetInvite } from "../../schema/growth-widget";
import { widgetAssist, widgetGroupBuy, widgetInvite } from "../services/growth-widget";
import { createRouter, errors, json } from "./router";

// The widget's group-buy / assist / invite cards (site/widget/widget.ts): public, CORS for the brand's origins (middleware/campaign-origins.ts).
const tags = ["campaigns (public)"];
const params = z.object({ slug: z.string().min(1).max(40), id: z.string().min(1).max(64) });
const responses = { 400: errors[400], 404: errors[404] };

const groupBuy = createRoute({
  method: "get", path: "/public/{slug}/group-buys/{id}", tags, summary: "A running group buy (拼团) of the brand, for the widget's card",
  request: { params }, responses: { 200: json(WidgetGroupBuy, "Group buy"), ...responses },
});
const assist = createRoute({
  method: "get", path: "/public/{slug}/assists/{id}", tags, summary: "A running friend-assist (助力) activity of the brand, for the widget's card",
  request: { params }, responses: { 200: json(WidgetAssist, "Assist"), ...responses },
});
const invite = createRoute({
  method: "get", path: "/public/{slug}/invites/{id}", tags, summary: "The brand's active invite programme (邀请有礼), for the widget's card",
  request: { params }, responses: { 200: json(WidgetInvite, "Invite programme"), ...responses },
});

export const growthWidgetRoutes = createRouter()
  .openapi(groupBuy, async (c) => c.json(await widgetGroupBuy(c.env, c.req.valid("param").slug, c.req.valid("param").id), 200))
  .openapi(assist, async (c) => c.json(await widgetAssist(c.env, c.req.valid("param").slug, c.req.valid("param").id), 200))
  .openapi(invite, async (c) => c.json(await widgetInvite(c.env, c.req.valid("param").slug, c.req.valid("param").id), 200));
