/**
 * What a share link can point at, per mechanism: does the subject exist in this tenant, and which page shows it.
 * Campaigns and products are checked here. Group-buy teams, assist requests and invite programmes live in tables
 * other modules own: those modules (or the integrator) call `registerShareSubject` once at import time with their
 * own lookup. Until one is registered, an id of the right shape is accepted and linked to the default page below —
 * the share still records who shared what, and attribution works the same way.
 */
import type { ShareMechanism } from "../../schema/acquisition";
import { publicCampaign } from "./campaigns";
import { publishedProduct } from "./shop";
import { ApiError } from "../errors";

export interface ShareSubject {
  /** The campaign a campaign share is for (share_sent.campaignId, user_signed_up.acquisitionCampaignId). */
  campaignId: string | null;
  productId: string | null;
  /** The page path (relative to the platform origin) without the share parameter. */
  path: string;
}
export type SubjectLookup = (env: Env, tenantId: string, slug: string, id: string) => Promise<ShareSubject | null>;

const q = (slug: string, id: string) => `?t=${encodeURIComponent(slug)}&id=${encodeURIComponent(id)}`;
const CAMPAIGN_PAGE: Record<string, string> = { flash_sale: "flash", coupon_claim: "flash", lottery: "lottery" };

/** Default pages of the mechanisms other modules own (documented in README "Share links and posters"). */
const accepted = (page: string): SubjectLookup => async (_env, _tenantId, slug, id) => ({ campaignId: null, productId: null, path: `${page}${q(slug, id)}` });

const lookups: Record<ShareMechanism, SubjectLookup> = {
  async campaign(env, tenantId, slug, id) {
    const hit = await publicCampaign(env, id);
    if (!hit || hit.campaign.tenantId !== tenantId) return null;
    return { campaignId: id, productId: null, path: `/campaigns/${CAMPAIGN_PAGE[hit.campaign.kind] ?? "flash"}/${q(slug, id)}` };
  },
  async product(env, tenantId, slug, id) {
    try {
      await publishedProduct(env, tenantId, id);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
    return { campaignId: null, productId: id, path: `/shop/product/${q(slug, id)}` };
  },
  group: accepted("/shop/group/"),
  assist: accepted("/shop/assist/"),
  invite: accepted("/shop/invite/"),
};

/** Wires a mechanism's own lookup (e.g. groups: the team exists in this tenant and is open). Returns null = 404. */
export function registerShareSubject(mechanism: Exclude<ShareMechanism, "campaign" | "product">, lookup: SubjectLookup) {
  lookups[mechanism] = lookup;
}

export function shareSubject(env: Env, tenantId: string, slug: string, mechanism: ShareMechanism, id: string) {
  return lookups[mechanism](env, tenantId, slug, id);
}
