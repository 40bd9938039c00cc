import { KFactorOverallRow, KFactorParams, KFactorRow } from "../../schema/analytics";
import { attributed, attributionParams, distinctIf, IN_RANGE, ratio, select, TENANT, type Metric } from "./metric";

/**
 * Per campaign: participants (users who claimed, drew or shared), sharers, shares sent, invitees who signed up
 * through a referral. K = invites per participant × invite conversion = invitee sign-ups / participants.
 * An attribution filter (channel, source, origin) selects participants by their own sign-up, and an invitee's sign-up
 * by its sharer's, so a filtered K is what those participants brought in.
 */
const sql = (perCampaign: boolean) => `
SELECT ${perCampaign ? "campaign_id AS campaignId," : ""}
       ${distinctIf("user_id", "type IN ('claim_succeeded', 'draw_made', 'share_sent')")} AS participants,
       ${distinctIf("user_id", "type = 'share_sent'")} AS sharers,
       countIf(type = 'share_sent') AS shares,
       ${distinctIf("user_id", "type = 'referral_signed_up' AND referrer_id != ''")} AS inviteeSignups
FROM events
WHERE ${TENANT} AND ${IN_RANGE} AND campaign_id != '' AND user_id != ''
  AND type IN ('claim_succeeded', 'draw_made', 'share_sent', 'referral_signed_up')
  AND ({campaign:String} = '' OR campaign_id = {campaign:String})
  AND if(type = 'referral_signed_up', ${attributed("referrer_id")}, ${attributed("user_id")})
${perCampaign ? "GROUP BY campaign_id ORDER BY participants DESC, campaign_id" : ""}`;
const PER_CAMPAIGN = sql(true);
const OVERALL = sql(false);

type Counts = { participants: number; sharers: number; shares: number; inviteeSignups: number };
const withRates = <R extends Counts>(r: R) => ({
  ...r,
  shareRate: ratio(r.sharers, r.participants),
  invitesPerUser: ratio(r.shares, r.participants),
  inviteConversion: ratio(r.inviteeSignups, r.shares),
  kFactor: ratio(r.inviteeSignups, r.participants),
});

export const kfactor: Metric<typeof KFactorParams, typeof KFactorRow> = {
  params: KFactorParams,
  row: KFactorRow,
  async run(client, tenant, p) {
    const rows = await select<Counts & { campaignId: string }>(client, PER_CAMPAIGN, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", ...attributionParams(p) });
    return rows.map(withRates);
  },
};

/** The same over every campaign at once: a person who took part in three campaigns is one participant here. */
export const kfactorOverall: Metric<typeof KFactorParams, typeof KFactorOverallRow> = {
  params: KFactorParams,
  row: KFactorOverallRow,
  async run(client, tenant, p) {
    const rows = await select<Counts>(client, OVERALL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", ...attributionParams(p) });
    return rows.map(withRates);
  },
};
