import { FROM, TENANT, TO } from "./metric";

export type CohortBy = "signup" | "first_purchase";

/**
 * One row per cohort user from user_profiles (schema/clickhouse/0004): c_at = sign-up or first paid order ever,
 * offs = day offsets (from c_at's day) of the user's active days inside [from, to + horizonDays).
 * GROUP BY user_id merges profile parts not yet merged in the background. Binds {from}, {to}, {acq}.
 */
export function cohortActivitySql(by: CohortBy, horizonDays: number) {
  const cohortAt = by === "signup" ? "signed_up_at" : "first_paid_at";
  return `
  SELECT user_id, c_at,
         arrayMap(d -> dateDiff('day', toDate(c_at), d),
                  arrayFilter(d -> d >= toDate(${FROM}) AND d < toDate(${TO}) + ${horizonDays}, days)) AS offs
  FROM (
    SELECT user_id, min(${cohortAt}) AS c_at, max(acquisition_campaign_id) AS acq, groupUniqArrayArray(active_days) AS days
    FROM user_profiles
    WHERE ${TENANT}
    GROUP BY user_id
    HAVING c_at >= ${FROM} AND c_at < ${TO} AND ({acq:String} = '' OR acq = {acq:String})
  )`;
}
