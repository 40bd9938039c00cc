import { FROM, TENANT, TO } from "./metric";

export type CohortBy = "signup" | "first_purchase";

/**
 * One row per cohort user from user_profiles (schema/clickhouse/0005): c_at = sign-up or first paid order ever,
 * offs = day offsets (from c_at's day) of the user's active days inside [from, to + horizonDays).
 * GROUP BY user_key merges profile rows not yet merged in the background. Their day lists are concatenated without
 * dedupe (groupArrayArray, several times cheaper than groupUniqArrayArray): a repeated day cannot change has() or the
 * distinct weeks the metrics compute from offs. Binds {from}, {to}, {acq}.
 */
export function cohortActivitySql(by: CohortBy, horizonDays: number) {
  const cohortAt = by === "signup" ? "signed_up_at" : "first_paid_at";
  return `
  SELECT c_at,
         arrayMap(d -> dateDiff('day', toDate(c_at), d),
                  arrayFilter(d -> d >= toDate(${FROM}) AND d < toDate(${TO}) + ${horizonDays}, days)) AS offs
  FROM (
    SELECT user_key, min(${cohortAt}) AS c_at, max(acquisition_campaign_id) AS acq, groupArrayArray(active_days) AS days
    FROM user_profiles
    WHERE ${TENANT}
    GROUP BY user_key
    HAVING c_at >= ${FROM} AND c_at < ${TO} AND ({acq:String} = '' OR acq = {acq:String})
  )`;
}
