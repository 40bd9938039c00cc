import { CouponRoiParams, CouponRoiRow } from "../../schema/analytics";
import { IN_RANGE, TENANT, ratio, select, type Metric } from "./metric";

/**
 * Coupon cost vs attributed revenue per segment. A coupon use (coupon_applied, coupon_returned) belongs to the segment
 * of the latest non-holdout targeted_issued of the same coupon product to the same buyer before the use; '' when the
 * buyer got it otherwise. Cost = net discounts + costCents of the vouchers the issuance orders issued (voucher_issued by
 * targeted_issued.orderId). Revenue = order_paid of the orders the attributed coupon_applied events name.
 */
const SQL = `
WITH issued AS (
  SELECT user_id, JSONExtractString(payload, 'couponProductId') AS coupon, JSONExtractString(payload, 'segmentId') AS segment,
         order_id, occurred_at
  FROM events WHERE ${TENANT} AND type = 'targeted_issued' AND NOT JSONExtractBool(payload, 'holdout') AND user_id != ''
),
uses AS (
  SELECT u.type AS type, u.order_id AS order_id, u.discount AS discount,
         argMax(i.segment, if(i.user_id != '' AND i.occurred_at <= u.occurred_at, toUnixTimestamp64Milli(i.occurred_at), -1)) AS best,
         max(i.user_id != '' AND i.occurred_at <= u.occurred_at) AS attributed
  FROM (SELECT event_id, type, user_id, order_id, occurred_at, JSONExtractString(payload, 'couponProductId') AS coupon,
               JSONExtractInt(payload, 'discountCents') AS discount
        FROM events WHERE ${TENANT} AND type IN ('coupon_applied', 'coupon_returned') AND ${IN_RANGE}) AS u
  LEFT JOIN issued AS i ON i.user_id = u.user_id AND i.coupon = u.coupon
  GROUP BY u.event_id, u.type, u.order_id, u.discount
),
by_use AS (SELECT if(attributed, best, '') AS segmentId, type, order_id, discount FROM uses),
paid AS (SELECT order_id, sum(amount_cents) AS amount FROM events WHERE ${TENANT} AND type = 'order_paid' AND ${IN_RANGE} GROUP BY order_id)
SELECT segmentId, sum(applied) AS couponsApplied, sum(discount) AS discountCents, sum(issue) AS issueCostCents,
       sum(orders) AS orders, sum(revenue) AS attributedRevenueCents FROM (
  SELECT segmentId, countIf(type = 'coupon_applied') AS applied,
         sumIf(discount, type = 'coupon_applied') - sumIf(discount, type = 'coupon_returned') AS discount, 0 AS issue, 0 AS orders, 0 AS revenue
  FROM by_use GROUP BY segmentId
  UNION ALL
  SELECT segmentId, 0, 0, 0, count() AS orders, sum(p.amount) AS revenue FROM (
    SELECT order_id, any(segmentId) AS segmentId FROM by_use WHERE type = 'coupon_applied' GROUP BY order_id) AS o
  INNER JOIN paid AS p ON p.order_id = o.order_id
  GROUP BY segmentId
  UNION ALL
  SELECT i.segment, 0, 0, sum(v.cost_cents), 0, 0
  FROM (SELECT order_id, cost_cents FROM events WHERE ${TENANT} AND type = 'voucher_issued' AND ${IN_RANGE} AND order_id != '') AS v
  INNER JOIN (SELECT DISTINCT order_id, segment FROM issued WHERE order_id != '') AS i ON i.order_id = v.order_id
  GROUP BY i.segment
)
GROUP BY segmentId ORDER BY attributedRevenueCents DESC, segmentId`;

type Raw = { segmentId: string; couponsApplied: number; discountCents: number; issueCostCents: number; orders: number; attributedRevenueCents: number };

export const couponRoi: Metric<typeof CouponRoiParams, typeof CouponRoiRow> = {
  params: CouponRoiParams,
  row: CouponRoiRow,
  async run(client, tenant, p) {
    const rows = await select<Raw>(client, SQL, { tenant, from: p.from, to: p.to });
    return rows.map((r) => {
      const cost = Number(r.discountCents) + Number(r.issueCostCents);
      return {
        segmentId: r.segmentId, couponsApplied: Number(r.couponsApplied), discountCents: Number(r.discountCents), issueCostCents: Number(r.issueCostCents),
        costCents: cost, orders: Number(r.orders), attributedRevenueCents: Number(r.attributedRevenueCents), revenuePerCostCent: ratio(Number(r.attributedRevenueCents), cost),
      };
    });
  },
};
