import type { Campaign } from "../../schema/campaigns";
import { publicCampaign, publicCampaignView } from "./campaigns";

/** The kinds each campaign page shows (a flash page never shows a lottery, nor the other way round). */
export const PAGE_KINDS = {
  flash: ["flash_sale", "coupon_claim"],
  lottery: ["lottery"],
} as const satisfies Record<string, readonly Campaign["kind"][]>;

/** The campaign a page names, as GET /public/campaigns/{id} gives it (no preview); null when there is none to show. */
export async function campaignForPage(env: Env, page: keyof typeof PAGE_KINDS, campaignId: string): Promise<Campaign | null> {
  if (!campaignId || campaignId.length > 64) return null;
  const hit = await publicCampaign(env, campaignId);
  if (!hit || !(PAGE_KINDS[page] as readonly string[]).includes(hit.campaign.kind)) return null;
  return publicCampaignView(env, hit);
}
