import { KFactorParams, KFactorRow } from "../../schema/analytics";
import { attributed, attributionParams, distinctIf, IN_RANGE, ratio, select, TENANT, type Metric } from "./metric";

/**
 * Per campaign: participants (users who claimed, drew or shared), sharers, shares sent, invitees who signed up
 * through a referral. K = invites per participant × invite conversion = invitee sign-ups / participants.
 * An attribution filter (channel, source, origin) selects participants by their own sign-up, and an invitee's sign-up
 * by its sharer's, so a filtered K is what those participants brought in.
 */
const SQL = `
SELECT campaign_id AS campaignId,
       ${distinctIf("user_id", "type IN ('claim_succeeded', 'draw_made', 'share_sent')")} AS participants,
       ${distinctIf("user_id", "type = 'share_sent'")} AS sharers,
       countIf(type = 'share_sent') AS shares,
       ${distinctIf("user_id", "type = 'referral_signed_up' AND referrer_id != ''")} AS inviteeSignups
FROM events
WHERE ${TENANT} AND ${IN_RANGE} AND campaign_id != '' AND user_id != ''
  AND type IN ('claim_succeeded', 'draw_made', 'share_sent', 'referral_signed_up')
  AND ({campaign:String} = '' OR campaign_id = {campaign:String})
  AND if(type = 'referral_signed_up', ${attributed("referrer_id")}, ${attributed("user_id")})
GROUP BY campaign_id ORDER BY participants DESC, campaign_id`;

export const kfactor: Metric<typeof KFactorParams, typeof KFactorRow> = {
  params: KFactorParams,
  row: KFactorRow,
  async run(client, tenant, p) {
    const rows = await select<{ campaignId: string; participants: number; sharers: number; shares: number; inviteeSignups: number }>(
      client, SQL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", ...attributionParams(p) },
    );
    return rows.map((r) => ({
      ...r,
      shareRate: ratio(r.sharers, r.participants),
      invitesPerUser: ratio(r.shares, r.participants),
      inviteConversion: ratio(r.inviteeSignups, r.shares),
      kFactor: ratio(r.inviteeSignups, r.participants),
    }));
  },
};
