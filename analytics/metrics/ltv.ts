import { LtvParams, LtvRow } from "../../schema/analytics";
import { cohortSql } from "./cohort";
import { TENANT, TO, select, type Metric } from "./metric";

/**
 * Cumulative net revenue (paid minus refunded) per cohort user within 7/30/90 days of sign-up, in cents.
 * Users who never paid count in the denominator.
 */
const SQL = `
WITH cohort AS (${cohortSql})
SELECT toString(s.cohort) AS cohort, s.users AS users,
       r.r7 / s.users AS ltv7Cents, r.r30 / s.users AS ltv30Cents, r.r90 / s.users AS ltv90Cents
FROM (SELECT toMonday(c_at) AS cohort, count() AS users FROM cohort GROUP BY cohort) AS s
LEFT JOIN (
  SELECT toMonday(c.c_at) AS cohort,
         sumIf(e.rev, e.occurred_at < c.c_at + INTERVAL 7 DAY) AS r7,
         sumIf(e.rev, e.occurred_at < c.c_at + INTERVAL 30 DAY) AS r30,
         sumIf(e.rev, e.occurred_at < c.c_at + INTERVAL 90 DAY) AS r90
  FROM cohort AS c
  INNER JOIN (
    SELECT user_id, occurred_at, if(type = 'order_paid', amount_cents, -amount_cents) AS rev FROM events
    WHERE ${TENANT} AND type IN ('order_paid', 'order_refunded') AND user_id != ''
      AND occurred_at >= parseDateTime64BestEffort({from:String}, 3, 'UTC') AND occurred_at < ${TO} + INTERVAL 90 DAY
  ) AS e ON e.user_id = c.user_id
  WHERE e.occurred_at >= c.c_at
  GROUP BY cohort
) AS r ON r.cohort = s.cohort
ORDER BY cohort`;

export const ltv: Metric<typeof LtvParams, typeof LtvRow> = {
  params: LtvParams,
  row: LtvRow,
  async run(client, tenant, p) {
    return select(client, SQL, { tenant, from: p.from, to: p.to, cohortEvent: "user_signed_up", acq: p.acquisitionCampaignId ?? "" });
  },
};
