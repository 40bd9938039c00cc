import type { Context } from "hono";
import { publicCampaign } from "../services/campaigns";
import type { AppEnv } from "../types";

const PUBLIC_CAMPAIGN = /^\/api\/v1\/public\/campaigns\/([\w-]{1,64})(?:\/|$)/;

/** Origins a brand allowed (tenants.allowed_origins) may call its public campaign routes, e.g. from the widget. */
export async function campaignOrigins(c: Context<AppEnv>): Promise<string[] | null> {
  const m = PUBLIC_CAMPAIGN.exec(new URL(c.req.url).pathname);
  if (!m) return null;
  return (await publicCampaign(c.env, m[1]!))?.allowedOrigins ?? null;
}
