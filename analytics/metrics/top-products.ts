import { RevenueOverallParams, RevenueOverallRow, TopProductsParams, TopProductsRow } from "../../schema/analytics";
import { distinctIf, IN_RANGE, ratio, select, TENANT, type Metric } from "./metric";

const CAMPAIGN = "({campaign:String} = '' OR campaign_id = {campaign:String})";

/*
 * Refunds are counted when they happen, per order: a refund made in parts sends order_partially_refunded for each part
 * and, with the last, order_refunded for the whole amount, so an order's refund is the larger of the two sums.
 */
const sql = (perProduct: boolean) => `
SELECT ${perProduct ? "product_id AS productId, sum(views) AS views," : ""} sum(paid) AS paidOrders, sum(revenue) AS revenueCents, sum(refunded) AS refundedCents
FROM (
  SELECT product_id, countIf(type = 'product_viewed') AS views, ${distinctIf("order_id", "type = 'order_paid'")} AS paid,
         sumIf(amount_cents, type = 'order_paid') AS revenue, toInt64(0) AS refunded
  FROM events
  WHERE ${TENANT} AND ${IN_RANGE} AND product_id != '' AND type IN (${perProduct ? "'product_viewed', " : ""}'order_paid') AND ${CAMPAIGN}
  GROUP BY product_id
  UNION ALL
  SELECT product_id, 0, 0, 0,
         toInt64(greatest(sumIf(amount_cents, type = 'order_refunded'), sumIf(amount_cents, type = 'order_partially_refunded')))
  FROM events
  WHERE ${TENANT} AND ${IN_RANGE} AND product_id != '' AND type IN ('order_refunded', 'order_partially_refunded') AND ${CAMPAIGN}
  GROUP BY product_id, order_id
)
${perProduct ? "GROUP BY product_id ORDER BY revenueCents DESC, views DESC, productId LIMIT {limit:UInt32}" : ""}`;
const PER_PRODUCT = sql(true);
const OVERALL = sql(false);

type Money = { paidOrders: number; revenueCents: number; refundedCents: number };
type Row = { productId: string; views: number; paidOrders: number; revenueCents: number; refundedCents: number };

export const topProducts: Metric<typeof TopProductsParams, typeof TopProductsRow> = {
  params: TopProductsParams,
  row: TopProductsRow,
  async run(client, tenant, p) {
    const rows = await select<Row>(client, PER_PRODUCT, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", limit: p.limit });
    return rows.map((r) => ({ ...r, netRevenueCents: r.revenueCents - r.refundedCents, viewToPaid: ratio(r.paidOrders, r.views) }));
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
