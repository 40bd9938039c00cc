import type { Campaign } from "../../schema/campaigns";
import { publicCampaign, publicCampaignView } from "./campaigns";

/** Kinds the flash page shows (a lottery has its own page). */
const FLASH_KINDS: readonly Campaign["kind"][] = ["flash_sale", "coupon_claim"];

/** The campaign a flash page names, as GET /public/campaigns/{id} gives it (no preview); null when there is none to show. */
export async function flashCampaignForPage(env: Env, campaignId: string): Promise<Campaign | null> {
  if (!campaignId || campaignId.length > 64) return null;
  const hit = await publicCampaign(env, campaignId);
  if (!hit || !FLASH_KINDS.includes(hit.campaign.kind)) return null;
  return publicCampaignView(env, hit);
}
