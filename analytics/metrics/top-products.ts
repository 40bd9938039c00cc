import { RevenueOverallParams, RevenueOverallRow, TopProductsParams, TopProductsRow } from "../../schema/analytics";
import { distinctIf, IN_RANGE, ratio, REFUNDED_OF_ORDER, select, TENANT, type Metric } from "./metric";

const CAMPAIGN = "({campaign:String} = '' OR campaign_id = {campaign:String})";

/*
 * Refunds are counted when they happen, per order: a refund made in parts sends order_partially_refunded for each part
 * and, with the last, order_refunded for the whole amount, so an order's refund is the larger of the two sums, less
 * what the gateway refused after it was recorded (order_refund_failed).
 * Money is gateway cash: a refund that gave back no cash (an order paid from the stored-value balance, which has no
 * order_paid either) adds nothing, so it makes no product row of zeros.
 */
const money = (withViews: boolean) => `
  SELECT product_id, ${withViews ? "toUInt64(0), toUInt64(0), toUInt64(0)," : ""} ${distinctIf("order_id", "type = 'order_paid'")} AS paid,
         sumIf(amount_cents, type = 'order_paid') AS revenue, toInt64(0) AS refunded
  FROM events
  WHERE ${TENANT} AND ${IN_RANGE} AND product_id != '' AND type = 'order_paid' AND ${CAMPAIGN}
  GROUP BY product_id
  UNION ALL
  SELECT product_id, ${withViews ? "0, 0, 0," : ""} 0, 0,
         toInt64(${REFUNDED_OF_ORDER}) AS cash
  FROM events
  WHERE ${TENANT} AND ${IN_RANGE} AND product_id != '' AND type IN ('order_refunded', 'order_partially_refunded', 'order_refund_failed') AND ${CAMPAIGN}
  GROUP BY product_id, order_id
  HAVING cash > 0`;

/*
 * View → paid is a share of people, not orders per view: of the people who viewed the product in the range, those who
 * paid for it in the range. A view made before the visitor had a session carries only the device; the device's
 * sign-up (user_signed_up with both ids) credits it to the account that then paid, as the funnel does.
 */
const LINKS = `(SELECT (groupArray(d), groupArray(u)) FROM (
  SELECT cityHash64(device_id) AS d, min(cityHash64(user_id)) AS u FROM events
  WHERE ${TENANT} AND type = 'user_signed_up' AND device_id != '' AND user_id != ''
    AND device_id IN (SELECT device_id FROM events WHERE ${TENANT} AND ${IN_RANGE} AND type = 'product_viewed' AND user_id = '' AND device_id != '')
  GROUP BY d))`;
const WHO = "if(user_id != '', cityHash64(user_id), transform(cityHash64(device_id), links.1, links.2, cityHash64(device_id)))";
const people = `
  SELECT product_id, sum(v) AS views, countIf(v > 0) AS viewers, countIf(v > 0 AND p) AS converted, toUInt64(0) AS paid, toInt64(0) AS revenue, toInt64(0) AS refunded
  FROM (
    SELECT product_id, ${WHO} AS who, countIf(type = 'product_viewed') AS v, max(type = 'order_paid') AS p
    FROM events
    WHERE ${TENANT} AND ${IN_RANGE} AND product_id != '' AND type IN ('product_viewed', 'order_paid') AND ${CAMPAIGN}
      AND (user_id != '' OR device_id != '')
    GROUP BY product_id, who
  )
  GROUP BY product_id`;

const PER_PRODUCT = `
WITH ${LINKS} AS links
SELECT product_id AS productId, sum(views) AS views, sum(viewers) AS viewers, sum(converted) AS converted,
       sum(paid) AS paidOrders, sum(revenue) AS revenueCents, sum(refunded) AS refundedCents
FROM (${people}
  UNION ALL ${money(true)}
)
GROUP BY product_id ORDER BY revenueCents DESC, views DESC, productId LIMIT {limit:UInt32}`;
const OVERALL = `
SELECT sum(paid) AS paidOrders, sum(revenue) AS revenueCents, sum(refunded) AS refundedCents
FROM (${money(false)})`;


type Money = { paidOrders: number; revenueCents: number; refundedCents: number };
type Row = { productId: string; views: number; viewers: number; converted: number; paidOrders: number; revenueCents: number; refundedCents: number };

export const topProducts: Metric<typeof TopProductsParams, typeof TopProductsRow> = {
  params: TopProductsParams,
  row: TopProductsRow,
  async run(client, tenant, p) {
    const rows = await select<Row>(client, PER_PRODUCT, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", limit: p.limit });
    return rows.map(({ converted, ...r }) => ({ ...r, netRevenueCents: r.revenueCents - r.refundedCents, viewToPaid: ratio(converted, r.viewers) }));
  },
};

/** The same money over every product at once (the dashboard's GMV and 净收入 tiles: not only the top products'). */
export const revenueOverall: Metric<typeof RevenueOverallParams, typeof RevenueOverallRow> = {
  params: RevenueOverallParams,
  row: RevenueOverallRow,
  async run(client, tenant, p) {
    const rows = await select<Money>(client, OVERALL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "" });
    return rows.map((r) => ({ ...r, netRevenueCents: r.revenueCents - r.refundedCents }));
  },
};
