import type { SEGMENTS } from "../../schema/analytics";
import { bucketStart, businessDateSql, dayStart } from "./buckets";
import { FROM, TENANT, TO, attributed } from "./metric";

export type CohortBy = "signup" | "first_purchase";
export type Segment = (typeof SEGMENTS)[number];

const DAY_MS = 86_400_000;

/**
 * Cohorts, their days and weeks are China ones (Asia/Shanghai, BUSINESS_TZ in buckets.ts): a cohort is the Monday
 * (00:00 China time) week of the cohort event, day N is the Nth China calendar day after the cohort event's China day,
 * and user_profiles keeps each user's active days as China dates (schema/clickhouse/0021).
 */
export const cohortWeekSql = (col: string) => businessDateSql(col, "week");
export const cohortDaySql = (col: string) => businessDateSql(col, "day");

/**
 * Where the activity a cohort query sees ends: the horizon after `to` (horizonDays China days after the start of
 * `to`'s China day), or now if that is earlier.
 */
export function observedUntil(to: string, horizonDays: number, now = Date.now()): number {
  return Math.min(now, bucketStart(Date.parse(to), "day") + horizonDays * DAY_MS);
}

/**
 * Whether the days before `endOffset` (day offsets from each member's own cohort day) have ended for every member of
 * a cohort whose last member's cohort day is `lastDay` (YYYY-MM-DD): day N is complete with endOffset N + 1, week k
 * with 7k + 7. Otherwise the cohort is too young for that cell and the metrics report null instead of a low rate.
 */
export const elapsed = (lastDay: string, endOffset: number, until: number) =>
  dayStart(lastDay) + endOffset * DAY_MS <= until;

/**
 * One row per cohort user from user_profiles (schema/clickhouse/0005, 0021): c_at = sign-up or first paid order ever,
 * c_day = its China date, days = the user's active days, China dates stored by the view (every one: a metric tests
 * only days 0 … N after c_day, and since from <= c_at < to those all lie inside [from, to + N], so no range filter
 * over the list is needed — the list is never mapped to offsets, which cost retention and the matrix ~10% at 10M
 * events, bench/README.md session 37).
 * GROUP BY user_key merges profile rows not yet merged in the background. Their day lists are concatenated without
 * dedupe (groupArrayArray, several times cheaper than groupUniqArrayArray): a repeated day cannot change has() or the
 * distinct weeks the metrics compute. Binds {from}, {to}, {acq} and the attribution filters (attributionParams):
 * only users whose sign-up matches them. `inSlice` keeps it to a slice of the user keys (person-slices.ts): build the
 * caller's query with slicedSql, run it with selectBySlices and add the slices' cohorts up with mergeCohorts.
 */
export function cohortActivitySql(by: CohortBy, segment: Segment, inSlice: (key: string) => string) {
  const cohortAt = by === "signup" ? "signed_up_at" : "first_paid_at";
  const seg = memberSegment(segment, "user_key");
  return `
  SELECT c_at, ${cohortDaySql("c_at")} AS c_day, days
  FROM (
    SELECT user_key, min(${cohortAt}) AS c_at, max(acquisition_campaign_id) AS acq, groupArrayArray(active_days_cn) AS days
    FROM user_profiles
    WHERE ${TENANT} AND ${inSlice("user_key")}
    GROUP BY user_key
    HAVING c_at >= ${FROM} AND c_at < ${TO} AND ({acq:String} = '' OR acq = {acq:String}) AND ${attributed("user_key", "cityHash64(user_id)")}
  ) ${seg.join} ${seg.where}`;
}

/**
 * One row per cohort from the slices' rows (selectBySlices): a slice holds its own users, so users add up, the last
 * cohort day is the latest, and `add` sums the metric's own counts into the first row of that cohort.
 */
export function mergeCohorts<R extends { cohort: string; users: number; lastDay: string }>(parts: R[][], add: (into: R, row: R) => void): R[] {
  if (parts.length === 1) return parts[0]!;
  const byCohort = new Map<string, R>();
  for (const row of parts.flat()) {
    const into = byCohort.get(row.cohort);
    if (!into) {
      byCohort.set(row.cohort, row);
      continue;
    }
    into.users += row.users;
    if (row.lastDay > into.lastDay) into.lastDay = row.lastDay;
    add(into, row);
  }
  return [...byCohort.values()].sort((a, b) => a.cohort.localeCompare(b.cohort));
}

/**
 * Member vs non-member cohorts: a cohort user is a member when their member_joined came no later than their cohort
 * day (China days, as the cohorts), so every later day the metrics count (D1+, W1+, revenue after the first day) is
 * spent as a member; a user who joins later stays a non-member in that cohort. `key` is how the per-user subquery
 * names the user (user_profiles: cityHash64(user_id) as user_key); it must also select c_at. "all" adds nothing to
 * the query.
 */
export function memberSegment(segment: Segment, key: "user_key" | "user_id") {
  if (segment === "all") return { join: "", where: "" };
  const id = key === "user_key" ? "cityHash64(user_id)" : "user_id";
  return {
    join: `AS u LEFT ANY JOIN (
      SELECT ${id} AS ${key}, ${cohortDaySql("min(occurred_at)")} AS joined_day, 1 AS joined FROM events
      WHERE ${TENANT} AND type = 'member_joined' AND user_id != '' AND occurred_at < ${TO} + INTERVAL 1 DAY
      GROUP BY ${key}
    ) AS m USING ${key}`,
    where: `WHERE (joined = 1 AND joined_day <= ${cohortDaySql("c_at")}) = ${segment === "members" ? 1 : 0}`,
  };
}
