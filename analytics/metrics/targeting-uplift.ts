import { TargetingUpliftParams, TargetingUpliftRow } from "../../schema/analytics";
import { IN_RANGE, TENANT, ratio, select, type Metric } from "./metric";

/**
 * Uplift of a targeted issuance against its holdout. People: targeted_issued in the range (actor = the buyer), once
 * per (issuance, person) at their first event. Outcomes within `days` after that instant: redeemed = a voucher_redeemed
 * of the issued coupon product (product_id) or a coupon_applied of it (payload couponProductId) by the person;
 * revenue = their order_paid amountCents. Control people were issued nothing, so their "redemption" is the same coupon
 * product reaching them some other way: the baseline the targeting is measured against.
 */
const WINDOW = "o.occurred_at > p.t0 AND o.occurred_at <= p.t0 + toIntervalDay({days:UInt32})";
const SQL = `
WITH people AS (
  SELECT JSONExtractString(payload, 'issuanceId') AS issuance, user_id, min(occurred_at) AS t0,
         any(JSONExtractString(payload, 'segmentId')) AS segment, any(JSONExtractString(payload, 'couponProductId')) AS coupon,
         any(JSONExtractBool(payload, 'holdout')) AS holdout
  FROM events WHERE ${TENANT} AND type = 'targeted_issued' AND ${IN_RANGE} AND user_id != ''
    AND ({issuance:String} = '' OR JSONExtractString(payload, 'issuanceId') = {issuance:String})
  GROUP BY issuance, user_id
),
outcomes AS (
  SELECT user_id, occurred_at, type, amount_cents,
         if(type = 'coupon_applied', JSONExtractString(payload, 'couponProductId'), product_id) AS coupon
  FROM events WHERE ${TENANT} AND type IN ('voucher_redeemed', 'coupon_applied', 'order_paid')
    AND occurred_at > ${"parseDateTime64BestEffort({from:String}, 3, 'UTC')"} AND user_id IN (SELECT user_id FROM people)
),
per_person AS (
  SELECT p.issuance AS issuance, p.user_id AS user_id, any(p.segment) AS segment, any(p.coupon) AS coupon, any(p.holdout) AS holdout,
         countIf(o.type IN ('voucher_redeemed', 'coupon_applied') AND o.coupon = p.coupon AND ${WINDOW}) > 0 AS redeemed,
         sumIf(o.amount_cents, o.type = 'order_paid' AND ${WINDOW}) AS revenue
  FROM people AS p LEFT JOIN outcomes AS o ON o.user_id = p.user_id
  GROUP BY p.issuance, p.user_id
)
SELECT issuance AS issuanceId, any(segment) AS segmentId, any(coupon) AS couponProductId,
       countIf(NOT holdout) AS treated, countIf(holdout) AS control,
       countIf(NOT holdout AND redeemed) AS treatedRedeemed, countIf(holdout AND redeemed) AS controlRedeemed,
       sumIf(revenue, NOT holdout) AS treatedRevenue, sumIf(revenue, holdout) AS controlRevenue
FROM per_person GROUP BY issuance ORDER BY treated + control DESC, issuance`;

type Raw = { issuanceId: string; segmentId: string; couponProductId: string; treated: number; control: number; treatedRedeemed: number; controlRedeemed: number; treatedRevenue: number; controlRevenue: number };
const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

export const targetingUplift: Metric<typeof TargetingUpliftParams, typeof TargetingUpliftRow> = {
  params: TargetingUpliftParams,
  row: TargetingUpliftRow,
  async run(client, tenant, p) {
    const rows = await select<Raw>(client, SQL, { tenant, from: p.from, to: p.to, days: p.days, issuance: p.issuanceId ?? "" });
    return rows.map((r) => {
      const [treated, control] = [Number(r.treated), Number(r.control)];
      const tRate = ratio(Number(r.treatedRedeemed), treated);
      const cRate = ratio(Number(r.controlRedeemed), control);
      const tRev = ratio(Number(r.treatedRevenue), treated);
      const cRev = ratio(Number(r.controlRevenue), control);
      return {
        issuanceId: r.issuanceId, segmentId: r.segmentId, couponProductId: r.couponProductId, treated, control,
        treatedRedeemed: Number(r.treatedRedeemed), controlRedeemed: Number(r.controlRedeemed),
        treatedRedemptionRate: tRate, controlRedemptionRate: cRate, redemptionUplift: diff(tRate, cRate),
        treatedRevenuePerPersonCents: tRev, controlRevenuePerPersonCents: cRev, revenueUpliftCents: diff(tRev, cRev),
      };
    });
  },
};
