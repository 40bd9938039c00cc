import type { Context } from "hono";
import { publicCampaign } from "../services/campaigns";
import type { AppEnv } from "../types";

const PUBLIC_CAMPAIGN = /^\/api\/v1\/public\/campaigns\/([\w-]{1,64})(?:\/|$)/;

/** Origins a brand allowed (tenants.allowed_origins) may call its public campaign routes, e.g. from the widget. */
export async function campaignOrigins(c: Context<AppEnv>): Promise<string[] | null> {
  const url = new URL(c.req.url);
  // The widget's impressions go to /track?campaign=<id>: the same brand origins as the campaign's own routes.
  const id = url.pathname === "/api/v1/track" ? url.searchParams.get("campaign") : PUBLIC_CAMPAIGN.exec(url.pathname)?.[1];
  if (!id || !/^[\w-]{1,64}$/.test(id)) return null;
  return (await publicCampaign(c.env, id))?.allowedOrigins ?? null;
}
