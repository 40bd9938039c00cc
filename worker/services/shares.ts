/**
 * Share links: the sharer gets a URL to the campaign page carrying an opaque random code (stored with the sharer
 * and campaign), never their buyer id. `share_sent` is recorded with it; a visitor who signs up through the link
 * is attributed to the sharer (services/acquisition.ts).
 */
import { randomToken } from "../domain/crypto";
import { insertShare } from "../db/shares";
import { eventRows } from "../queue/emit";
import type { PublicCampaign } from "./campaigns";

const PAGE: Record<string, string> = { flash_sale: "flash", coupon_claim: "flash", lottery: "lottery" };

export function sharePath(hit: PublicCampaign, code: string) {
  const c = hit.campaign;
  return `/campaigns/${PAGE[c.kind] ?? "flash"}/?t=${encodeURIComponent(hit.tenantSlug)}&id=${encodeURIComponent(c.id)}&share=${code}`;
}

export async function createShare(env: Env, hit: PublicCampaign, sharerId: string, channel: string | null, deviceId: string | null) {
  const code = randomToken(12);
  const c = hit.campaign;
  await env.DB.batch([
    insertShare(env.DB, { code, tenantId: c.tenantId, campaignId: c.id, sharerId, channel }),
    ...eventRows(env, [{ eventId: `evsh_${code}`, tenantId: c.tenantId, type: "share_sent", actor: { userId: sharerId, deviceId }, payload: { campaignId: c.id, shareLink: code, channel } }]),
  ]);
  return { code, url: sharePath(hit, code) };
}
