import type { Context } from "hono";
import { publicCampaign } from "../services/campaigns";
import { brandOrigins } from "../services/growth-widget";
import type { AppEnv } from "../types";

const PUBLIC_CAMPAIGN = /^\/api\/v1\/public\/campaigns\/([\w-]{1,64})(?:\/|$)/;
const PUBLIC_GROWTH = /^\/api\/v1\/public\/([\w-]{1,40})\/(?:(?:group-buys|assists|invites)\/[^/]+|qualifications)$/;

/** Origins a brand allowed (tenants.allowed_origins) may call its public campaign routes, e.g. from the widget. */
export async function campaignOrigins(c: Context<AppEnv>): Promise<string[] | null> {
  const url = new URL(c.req.url);
  // The widget's group-buy / assist / invite cards: the origins of the brand named in the path.
  const slug = PUBLIC_GROWTH.exec(url.pathname)?.[1];
  if (slug) return brandOrigins(c.env, slug);
  // The widget's impressions go to /track?campaign=<id>: the same brand origins as the campaign's own routes.
  const id = url.pathname === "/api/v1/track" ? url.searchParams.get("campaign") : PUBLIC_CAMPAIGN.exec(url.pathname)?.[1];
  if (!id || !/^[\w-]{1,64}$/.test(id)) return null;
  return (await publicCampaign(c.env, id))?.allowedOrigins ?? null;
}
