import { AcquisitionParams, AcquisitionRow } from "../../schema/analytics";
import { attributionParams, distinct, IN_RANGE, select, SIGNUP_MATCHES, TENANT, type Metric } from "./metric";

/** New users (user_signed_up in the range) per acquisition campaign, channel (UTM source), share vs organic, origin. */
const SQL = `
SELECT acquisition_campaign_id AS campaignId, JSONExtractString(payload, 'utmSource') AS channel,
       if(referrer_id != '', 'share', 'organic') AS source, origin, ${distinct("user_id")} AS newUsers
FROM events
WHERE ${TENANT} AND ${IN_RANGE} AND type = 'user_signed_up' AND user_id != ''
  AND ({campaign:String} = '' OR acquisition_campaign_id = {campaign:String})
  AND ${SIGNUP_MATCHES}
GROUP BY campaignId, channel, source, origin
ORDER BY newUsers DESC, campaignId, channel, source, origin`;

export const acquisition: Metric<typeof AcquisitionParams, typeof AcquisitionRow> = {
  params: AcquisitionParams,
  row: AcquisitionRow,
  async run(client, tenant, p) {
    return select(client, SQL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", ...attributionParams(p) });
  },
};
