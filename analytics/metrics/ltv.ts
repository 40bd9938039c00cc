import { LtvParams, LtvRow } from "../../schema/analytics";
import { memberSegment, type Segment } from "./cohort";
import { FROM, TENANT, TO, attributed, attributionParams, select, type Metric } from "./metric";

/**
 * Cumulative net revenue (paid minus refunded) per cohort user within 7/30/90 days of sign-up, in cents.
 * Users who never paid count in the denominator. One pass grouped by the user's hash (grouping by the String id cost
 * 20-30% more at 10M events, bench/README.md session 31); a user's payments ride along as an array.
 * The attribution filters keep the users whose sign-up came through that channel / share or organic / origin; the
 * segment keeps members or non-members (cohort.ts memberSegment).
 */
const within = (days: number) => `arraySum(arrayMap(x -> if(x.1 >= c_at AND x.1 < c_at + INTERVAL ${days} DAY, x.2, 0), revs))`;
const sql = (segment: Segment, seg = memberSegment(segment, "user_key")) => `
SELECT toString(toMonday(c_at)) AS cohort, count() AS users,
       sum(r7) / users AS ltv7Cents, sum(r30) / users AS ltv30Cents, sum(r90) / users AS ltv90Cents
FROM (
  SELECT cityHash64(user_id) AS user_key,
         minIf(occurred_at, type = 'user_signed_up') AS c_at,
         maxIf(acquisition_campaign_id = {acq:String}, type = 'user_signed_up') AS acquired,
         groupArrayIf((occurred_at, if(type = 'order_paid', amount_cents, -amount_cents)), type != 'user_signed_up') AS revs,
         ${within(7)} AS r7, ${within(30)} AS r30, ${within(90)} AS r90
  FROM events
  WHERE ${TENANT} AND type IN ('user_signed_up', 'order_paid', 'order_refunded') AND user_id != ''
    AND occurred_at >= ${FROM} AND occurred_at < ${TO} + INTERVAL 90 DAY
  GROUP BY user_key
  HAVING c_at >= ${FROM} AND c_at < ${TO} AND ({acq:String} = '' OR acquired) AND ${attributed("user_key", "cityHash64(user_id)")}
) ${seg.join} ${seg.where}
GROUP BY cohort ORDER BY cohort`;

export const ltv: Metric<typeof LtvParams, typeof LtvRow> = {
  params: LtvParams,
  row: LtvRow,
  async run(client, tenant, p) {
    return select(client, sql(p.segment), { tenant, from: p.from, to: p.to, acq: p.acquisitionCampaignId ?? "", ...attributionParams(p) });
  },
};
