import { RoiParams, RoiRow } from "../../schema/analytics";
import { attributed, attributionParams, distinct, distinctIf, IN_RANGE, ratio, select, SIGNUP_MATCHES, TENANT, type Metric } from "./metric";

/**
 * Cost = costCents on claim_succeeded, draw_made and voucher_issued (the emitters count each prize once).
 * Attributed revenue = paid minus refunded orders carrying the campaign. An order refunded in parts counts its parts
 * (order_partially_refunded each, then order_refunded for the whole with the last), one refunded at once its whole.
 * New users = sign-ups in the range whose acquisitionCampaignId is the campaign; their share is of all sign-ups in the range.
 */
const REFUNDS = "'order_refunded', 'order_partially_refunded'";
const CAMPAIGN = `campaign_id != '' AND ({campaign:String} = '' OR campaign_id = {campaign:String}) AND ${attributed("user_id")}`;
const SQL = `
SELECT m.campaign_id AS campaignId, m.participants AS participants, m.cost AS costCents, m.revenue - f.refunded AS revenueCents,
       m.paid AS paidOrders, n.new_users AS newUsers, t.signups AS signups
FROM (
  SELECT campaign_id,
         ${distinctIf("user_id", "type IN ('claim_succeeded', 'draw_made', 'share_sent') AND user_id != ''")} AS participants,
         sumIf(cost_cents, type IN ('claim_succeeded', 'draw_made', 'voucher_issued')) AS cost,
         sumIf(amount_cents, type = 'order_paid') AS revenue,
         countIf(type = 'order_paid') AS paid
  FROM events
  WHERE ${TENANT} AND ${IN_RANGE} AND ${CAMPAIGN}
    AND type IN ('claim_succeeded', 'draw_made', 'share_sent', 'voucher_issued', 'order_paid', ${REFUNDS})
  GROUP BY campaign_id
) AS m
LEFT JOIN (
  SELECT campaign_id, toInt64(sum(r)) AS refunded FROM (
    SELECT campaign_id, greatest(sumIf(amount_cents, type = 'order_refunded'), sumIf(amount_cents, type = 'order_partially_refunded')) AS r
    FROM events WHERE ${TENANT} AND ${IN_RANGE} AND ${CAMPAIGN} AND type IN (${REFUNDS})
    GROUP BY campaign_id, order_id
  ) GROUP BY campaign_id
) AS f ON f.campaign_id = m.campaign_id
LEFT JOIN (
  SELECT acquisition_campaign_id AS campaign_id, ${distinct("user_id")} AS new_users FROM events
  WHERE ${TENANT} AND ${IN_RANGE} AND type = 'user_signed_up' AND acquisition_campaign_id != '' AND ${SIGNUP_MATCHES}
  GROUP BY campaign_id
) AS n ON n.campaign_id = m.campaign_id
CROSS JOIN (SELECT ${distinct("user_id")} AS signups FROM events WHERE ${TENANT} AND ${IN_RANGE} AND type = 'user_signed_up') AS t
ORDER BY revenueCents DESC, campaignId`;

export const roi: Metric<typeof RoiParams, typeof RoiRow> = {
  params: RoiParams,
  row: RoiRow,
  async run(client, tenant, p) {
    const rows = await select<{ campaignId: string; participants: number; costCents: number; revenueCents: number; paidOrders: number; newUsers: number; signups: number }>(
      client, SQL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", ...attributionParams(p) },
    );
    return rows.map(({ signups, ...r }) => ({
      ...r,
      roi: r.costCents > 0 ? (r.revenueCents - r.costCents) / r.costCents : null,
      newUserShare: ratio(r.newUsers, signups),
    }));
  },
};
