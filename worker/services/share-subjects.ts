/**
 * What a share link can point at, per mechanism: does the subject exist in this tenant, and which page shows it.
 * Each lookup reads the owning module's table; null = 404. An invite share carries the sharer's own invite code
 * (the member centre's ?invite=), so the friend who follows it is recorded as their invitee.
 */
import { campaignPageOf } from "../domain/campaign-pages";
import type { ShareMechanism } from "../../schema/acquisition";
import { requestByCode } from "../db/assists";
import { getTeam } from "../db/groups";
import { codeOf, getProgramme } from "../db/invites";
import { ApiError } from "../errors";
import { publicCampaign } from "./campaigns";
import { publishedProduct } from "./shop";

export interface ShareSubject {
  /** The campaign a campaign share is for (share_sent.campaignId, user_signed_up.acquisitionCampaignId). */
  campaignId: string | null;
  productId: string | null;
  /** The page path (relative to the platform origin) without the share parameter. */
  path: string;
}
type SubjectLookup = (env: Env, tenantId: string, slug: string, id: string, sharerId: string) => Promise<ShareSubject | null>;

const t = (slug: string) => `?t=${encodeURIComponent(slug)}`;
const q = (slug: string, id: string) => `${t(slug)}&id=${encodeURIComponent(id)}`;
const page = (path: string): ShareSubject => ({ campaignId: null, productId: null, path });

const lookups: Record<ShareMechanism, SubjectLookup> = {
  async campaign(env, tenantId, slug, id) {
    const hit = await publicCampaign(env, id);
    if (!hit || hit.campaign.tenantId !== tenantId) return null;
    return { campaignId: id, productId: null, path: `/campaigns/${campaignPageOf(hit.campaign.kind)}/${q(slug, id)}` };
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
  /** A group-buy team (its id): the team page, where a friend joins it. */
  async group(env, tenantId, slug, id) {
    const team = await getTeam(env.DB, tenantId, id);
    return team ? page(`/shop/group/${t(slug)}&team=${encodeURIComponent(team.id)}`) : null;
  },
  /** An assist request, by the code its page carries (?c=): the page where a friend helps. */
  async assist(env, tenantId, slug, id) {
    const r = await requestByCode(env.DB, tenantId, id);
    return r ? page(`/shop/assist/${t(slug)}&c=${encodeURIComponent(r.code)}`) : null;
  },
  /** An invite programme (its id): the member centre's invite landing with the sharer's own code. */
  async invite(env, tenantId, slug, id, sharerId) {
    const [programme, code] = await Promise.all([getProgramme(env.DB, tenantId, id), codeOf(env.DB, tenantId, sharerId)]);
    if (!programme) return null;
    if (!code) throw ApiError.conflict("no_invite_code", "先在会员中心领取你的邀请链接 / Open the member centre's invite section first to get your invite code");
    return page(`/shop/member/${t(slug)}&invite=${encodeURIComponent(code.code)}`);
  },
};

export function shareSubject(env: Env, tenantId: string, slug: string, mechanism: ShareMechanism, id: string, sharerId: string) {
  return lookups[mechanism](env, tenantId, slug, id, sharerId);
}
