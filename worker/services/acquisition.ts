/**
 * Acquisition: the facts a new buyer arrives with (UTM parameters, a share link, the campaign page, the embedding
 * origin, the anonymous device id), resolved once when the buyer is created and carried by `user_signed_up` — and by
 * `referral_signed_up` when a share link brought them. An existing buyer's session never re-attributes them.
 */
import { md5Hex } from "../domain/md5";
import type { Acquisition } from "../../schema/acquisition";
import { getBuyer, type AcquisitionFacts } from "../db/buyers";
import { getShare } from "../db/shares";
import type { EventInput } from "../queue/emit";

export const NO_ACQUISITION: AcquisitionFacts = {
  acquisitionCampaignId: null, referrerId: null, shareCode: null, utmSource: null, utmMedium: null, utmCampaign: null, origin: null, deviceId: null,
};

/**
 * The share code is looked up, never trusted: an unknown code is ignored (the visitor is organic), and a code shared
 * from this same device is not a referral (a buyer cannot refer themself).
 */
export async function resolveAcquisition(env: Env, tenantId: string, input: Acquisition | undefined, origin: string | null): Promise<AcquisitionFacts> {
  const share = input?.share ? await getShare(env.DB, tenantId, input.share) : null;
  const deviceId = input?.deviceId ?? null;
  let referrerId = share?.sharer_id ?? null;
  if (referrerId && deviceId && (await getBuyer(env.DB, tenantId, referrerId))?.device_id === deviceId) referrerId = null;
  return {
    acquisitionCampaignId: share?.campaign_id ?? input?.campaignId ?? null,
    referrerId,
    shareCode: referrerId ? share!.code : null,
    utmSource: input?.utmSource ?? null,
    utmMedium: input?.utmMedium ?? null,
    utmCampaign: input?.utmCampaign ?? null,
    origin,
    deviceId,
  };
}

/** The embedding origin of a request: its Origin header when that is not the platform's own (the widget on a brand page). */
export function embeddingOrigin(headers: Headers, requestUrl: string): string | null {
  const origin = headers.get("origin");
  if (!origin || origin === "null" || origin === new URL(requestUrl).origin) return null;
  return origin.slice(0, 200);
}

/**
 * An event id that is the same for the same person (a repeat is deduplicated) but does not contain their id: after an
 * erasure re-keys the person's events to a pseudonym, an id seen elsewhere (a published draw log, a brand's CRM) must
 * not lead to them. A keyed digest, so it cannot be recomputed from the buyer id without the secret.
 */
export const personEventId = (env: Pick<Env, "BUYER_SESSION_SECRET">, prefix: string, buyerId: string) =>
  `${prefix}_${md5Hex(`event-id|${env.BUYER_SESSION_SECRET}|${buyerId}`)}`;

/**
 * `user_signed_up` for a buyer that was just created (and `referral_signed_up` when a share link brought them).
 * Ids derive from the buyer id (personEventId), so a repeat is deduplicated by the warehouse: exactly once per buyer.
 */
export function signupEvents(env: Pick<Env, "BUYER_SESSION_SECRET">, tenantId: string, buyerId: string, kind: "guest" | "phone", a: AcquisitionFacts, occurredAt?: Date): EventInput[] {
  const referrerId = a.referrerId && a.referrerId !== buyerId ? a.referrerId : null;
  const events: EventInput[] = [
    {
      eventId: personEventId(env, "ev_signup", buyerId),
      tenantId,
      type: "user_signed_up",
      occurredAt,
      actor: { userId: buyerId, deviceId: a.deviceId, referrerId },
      payload: {
        buyerKind: kind,
        acquisitionCampaignId: a.acquisitionCampaignId,
        shareLink: referrerId ? a.shareCode : null,
        utmSource: a.utmSource,
        utmMedium: a.utmMedium,
        utmCampaign: a.utmCampaign,
        origin: a.origin,
      },
    },
  ];
  if (referrerId) {
    events.push({
      eventId: personEventId(env, "ev_referral", buyerId),
      tenantId,
      type: "referral_signed_up",
      occurredAt,
      actor: { userId: buyerId, deviceId: a.deviceId, referrerId },
      payload: { campaignId: a.acquisitionCampaignId, shareLink: a.shareCode },
    });
  }
  return events;
}
