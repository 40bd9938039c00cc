import { TopProductsParams, TopProductsRow } from "../../schema/analytics";
import { distinctIf, IN_RANGE, ratio, select, TENANT, type Metric } from "./metric";

const SQL = `
SELECT product_id AS productId, countIf(type = 'product_viewed') AS views,
       ${distinctIf("order_id", "type = 'order_paid'")} AS paidOrders, sumIf(amount_cents, type = 'order_paid') AS revenueCents
FROM events
WHERE ${TENANT} AND ${IN_RANGE} AND product_id != '' AND type IN ('product_viewed', 'order_paid')
  AND ({campaign:String} = '' OR campaign_id = {campaign:String})
GROUP BY product_id ORDER BY revenueCents DESC, views DESC, productId LIMIT {limit:UInt32}`;

export const topProducts: Metric<typeof TopProductsParams, typeof TopProductsRow> = {
  params: TopProductsParams,
  row: TopProductsRow,
  async run(client, tenant, p) {
    const rows = await select<{ productId: string; views: number; paidOrders: number; revenueCents: number }>(
      client, SQL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "", limit: p.limit },
    );
    return rows.map((r) => ({ ...r, viewToPaid: ratio(r.paidOrders, r.views) }));
  },
};
