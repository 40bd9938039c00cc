import { FROM, TENANT, TO } from "./metric";

export type CohortBy = "signup" | "first_purchase";

/**
 * One row per cohort user, in a single pass over the tenant's events (no join): c_at = the user's first cohort
 * event (sign-up, or first paid order ever), offs = the distinct day offsets (from c_at's day) on which the user
 * had any event, up to `horizonDays` after the range. Binds {from}, {to}, {acq} (acquisition campaign, '' = all).
 * Sign-up cohorts only need events from {from} on (a user signs up once); first-purchase cohorts also read older
 * paid orders, so that a repeat buyer is not mistaken for a new one.
 */
export function cohortActivitySql(by: CohortBy, horizonDays: number) {
  const cohortEvent = by === "signup" ? "user_signed_up" : "order_paid";
  const scan = by === "signup" ? `occurred_at >= ${FROM}` : `(occurred_at >= ${FROM} OR type IN ('order_paid', 'user_signed_up'))`;
  return `
  SELECT user_id,
         minIf(occurred_at, type = '${cohortEvent}') AS c_at,
         maxIf(acquisition_campaign_id = {acq:String}, type = 'user_signed_up') AS acquired,
         arrayMap(d -> dateDiff('day', toDate(c_at), d), groupUniqArrayIf(toDate(occurred_at), occurred_at >= ${FROM})) AS offs
  FROM events
  WHERE ${TENANT} AND user_id != '' AND occurred_at < ${TO} + INTERVAL ${horizonDays} DAY AND ${scan}
  GROUP BY user_id
  HAVING c_at >= ${FROM} AND c_at < ${TO} AND ({acq:String} = '' OR acquired)`;
}
