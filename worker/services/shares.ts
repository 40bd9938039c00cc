/**
 * Share links: the sharer gets a URL to the page of what they share (a campaign, a product, a group-buy team, an
 * assist request, an invite programme) carrying an opaque random code stored with the sharer, the mechanism and the
 * subject — never their buyer id. `share_sent` is recorded with it; a visitor who arrives through the link carries
 * the code on their views and sign-up and is attributed to the sharer (services/acquisition.ts).
 */
import type { ShareMechanism } from "../../schema/acquisition";
import { randomToken } from "../domain/crypto";
import { insertShare } from "../db/shares";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";
import type { PublicCampaign } from "./campaigns";
import { shareSubject, type ShareSubject } from "./share-subjects";
import { tenantBySlug } from "./tenants";

export interface ShareRequest {
  tenantId: string;
  slug: string;
  mechanism: ShareMechanism;
  subjectId: string;
  sharerId: string;
  channel: string | null;
  deviceId: string | null;
}

async function record(env: Env, r: ShareRequest, subject: ShareSubject) {
  const code = randomToken(12);
  await env.DB.batch([
    insertShare(env.DB, { code, tenantId: r.tenantId, mechanism: r.mechanism, subjectId: r.subjectId, campaignId: subject.campaignId, sharerId: r.sharerId, channel: r.channel }),
    ...eventRows(env, [{
      eventId: `evsh_${code}`,
      tenantId: r.tenantId,
      type: "share_sent",
      actor: { userId: r.sharerId, deviceId: r.deviceId },
      payload: { campaignId: subject.campaignId, productId: subject.productId, mechanism: r.mechanism, subjectId: r.subjectId, shareLink: code, channel: r.channel },
    }]),
  ]);
  return { code, url: `${subject.path}&share=${code}` };
}

/** A share link for any mechanism; 404 when the subject is not this tenant's (or not public). */
export async function createSubjectShare(env: Env, r: ShareRequest) {
  const subject = await shareSubject(env, r.tenantId, r.slug, r.mechanism, r.subjectId, r.sharerId);
  if (!subject) throw ApiError.notFound(r.mechanism === "group" ? "Group-buy team" : r.mechanism === "assist" ? "Assist request" : r.mechanism === "invite" ? "Invite programme" : r.mechanism === "product" ? "Product" : "Campaign");
  const [share, tenant] = await Promise.all([record(env, r, subject), tenantBySlug(env, r.slug)]);
  return { ...share, brand: tenant?.name ?? r.slug };
}

/** The campaign pages' share button (POST /public/campaigns/{id}/shares): a campaign share of a campaign already found. */
export async function createShare(env: Env, hit: PublicCampaign, sharerId: string, channel: string | null, deviceId: string | null) {
  const c = hit.campaign;
  const subject = await shareSubject(env, c.tenantId, hit.tenantSlug, "campaign", c.id, sharerId);
  return record(env, { tenantId: c.tenantId, slug: hit.tenantSlug, mechanism: "campaign", subjectId: c.id, sharerId, channel, deviceId }, subject!);
}
