import { RoiParams, RoiRow } from "../../schema/analytics";
import { attributed, attributionParams, distinct, distinctIf, FROM, IN_RANGE, ratio, REFUNDED_OF_ORDER, select, SIGNUP_MATCHES, TENANT, TO, type Metric } from "./metric";

/**
 * Cost = costCents on claim_succeeded, draw_made and voucher_issued (the emitters count each prize once), less the
 * cost handed back by claim_failed (a win fulfilment refused), order_cancelled (a flash-sale win that lapsed unpaid:
 * its unit may be won again and counted again) and order_refunded (a flash-sale win refunded whole: its right went back
 * to stock or was marked refunded unused; its revenue goes with the refund) — unless the gateway refused that refund
 * later (order_refund_failed carries the cost again).
 * Attributed revenue = paid minus refunded orders carrying the campaign. An order refunded in parts counts its parts
 * (order_partially_refunded each, then order_refunded for the whole with the last), one refunded at once its whole,
 * less any the gateway refused after they were recorded (order_refund_failed).
 * An order carries the campaign when its own campaign price applied, or else when it used a coupon the campaign issued
 * (a coupon claim's or a lottery prize's voucher used at checkout: coupon_applied names the voucher, its voucher_issued
 * the campaign; the order row itself carries no campaign, which would hand a unit back to the campaign if it lapsed).
 * New users = sign-ups in the range whose acquisitionCampaignId is the campaign; their share is of all sign-ups in the range.
 */
const REFUNDS = "'order_refunded', 'order_partially_refunded', 'order_refund_failed'";
const CAMPAIGN = `campaign_id != '' AND ({campaign:String} = '' OR campaign_id = {campaign:String}) AND ${attributed("user_id")}`;
/** Per order, the campaign whose voucher it used at checkout (the smallest id if it used several campaigns' coupons). */
const COUPON_ORDERS = `
  SELECT a.order_id AS order_id, min(v.campaign) AS coupon_campaign
  FROM (SELECT order_id, JSONExtractString(payload, 'voucherId') AS voucher FROM events
        WHERE ${TENANT} AND type = 'coupon_applied' AND order_id != '') AS a
  INNER JOIN (SELECT JSONExtractString(payload, 'voucherId') AS voucher, any(campaign_id) AS campaign FROM events
              WHERE ${TENANT} AND type = 'voucher_issued' AND campaign_id != ''
                AND JSONExtractString(payload, 'voucherId') IN (SELECT JSONExtractString(payload, 'voucherId') FROM events WHERE ${TENANT} AND type = 'coupon_applied')
              GROUP BY voucher) AS v ON v.voucher = a.voucher
  GROUP BY a.order_id`;
/** The range's events of the given types, an order's money events carrying the campaign of the coupon it used when it has none of its own. */
const WITH_COUPON_CAMPAIGN = (types: string) => `(
  SELECT e.type AS type, e.user_id AS user_id, e.order_id AS order_id, e.amount_cents AS amount_cents, e.cost_cents AS cost_cents, e.payload AS payload,
         if(e.campaign_id = '' AND e.type IN ('order_paid', ${REFUNDS}), c.coupon_campaign, e.campaign_id) AS campaign_id
  FROM events AS e LEFT JOIN (${COUPON_ORDERS}) AS c ON c.order_id = e.order_id
  WHERE e.tenant_id = {tenant:String} AND e.occurred_at >= ${FROM} AND e.occurred_at < ${TO} AND e.type IN (${types}))`;
const SQL = `
SELECT m.campaign_id AS campaignId, m.participants AS participants, m.cost AS costCents, m.revenue - f.refunded AS revenueCents,
       m.paid AS paidOrders, n.new_users AS newUsers, t.signups AS signups
FROM (
  SELECT campaign_id,
         ${distinctIf("user_id", "type IN ('claim_succeeded', 'draw_made', 'share_sent') AND user_id != ''")} AS participants,
         sumIf(cost_cents, type IN ('claim_succeeded', 'draw_made', 'voucher_issued', 'order_refund_failed')) - sumIf(cost_cents, type IN ('claim_failed', 'order_cancelled', 'order_refunded')) AS cost,
         sumIf(amount_cents, type = 'order_paid') AS revenue,
         countIf(type = 'order_paid') AS paid
  FROM ${WITH_COUPON_CAMPAIGN(`'claim_succeeded', 'draw_made', 'share_sent', 'voucher_issued', 'claim_failed', 'order_cancelled', 'order_paid', ${REFUNDS}`)}
  WHERE ${CAMPAIGN}
  GROUP BY campaign_id
) AS m
LEFT JOIN (
  SELECT campaign_id, toInt64(sum(r)) AS refunded FROM (
    SELECT campaign_id, ${REFUNDED_OF_ORDER} AS r
    FROM ${WITH_COUPON_CAMPAIGN(REFUNDS)} WHERE ${CAMPAIGN}
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
