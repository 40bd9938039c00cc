import { LtvParams, LtvRow } from "../../schema/analytics";
import { cohortWeekSql, memberSegment, type Segment } from "./cohort";
import { FROM, TENANT, TO, attributed, attributionParams, type Metric } from "./metric";
import { addUpSlices, selectBySlices, slicedSql, type SlicedSql } from "./person-slices";

/**
 * Cumulative net revenue (paid minus refunded; a refund made in parts counts by its parts: schema/clickhouse/0019, 0020) per cohort user within 7/30/90 days of sign-up, in cents.
 * Users who never paid count in the denominator. Read from ltv_people (schema/clickhouse/0017): each person's sign-up
 * and payments, sorted by person, so a tenant with many people is read in slices of the person keys (person-slices.ts).
 * Against one grouping of `events`: 387 → 304 ms at 10M events, 5,142 → 3,107 ms at 100M (bench/README.md, session 38).
 * A person's payments ride along as an array.
 * The attribution filters keep the users whose sign-up came through that channel / share or organic / origin; the
 * segment keeps members or non-members (cohort.ts memberSegment).
 */
const within = (days: number) => `arraySum(arrayMap(x -> if(x.1 >= c_at AND x.1 < c_at + INTERVAL ${days} DAY, x.2, 0), revs))`;
// Sums, not averages: each person is in one slice, so a cohort's sums add up across slices and are divided once.
const sql = (segment: Segment, seg = memberSegment(segment, "user_key")): SlicedSql => slicedSql((inSlice) => `
SELECT toString(${cohortWeekSql("c_at")}) AS cohort, count() AS users, sum(r7) AS r7, sum(r30) AS r30, sum(r90) AS r90
FROM (
  SELECT user_key,
         minIf(occurred_at, kind = 0) AS c_at,
         maxIf(acquisition_campaign_id = {acq:String}, kind = 0) AS acquired,
         groupArrayIf((occurred_at, amount_cents), kind != 0) AS revs,
         ${within(7)} AS r7, ${within(30)} AS r30, ${within(90)} AS r90
  FROM ltv_people
  WHERE ${TENANT} AND occurred_at >= ${FROM} AND occurred_at < ${TO} + INTERVAL 90 DAY AND ${inSlice("user_key")}
  GROUP BY user_key
  HAVING c_at >= ${FROM} AND c_at < ${TO} AND ({acq:String} = '' OR acquired) AND ${attributed("user_key", "cityHash64(user_id)")}
) ${seg.join} ${seg.where}
GROUP BY cohort`);

interface Sums { cohort: string; users: number; r7: number; r30: number; r90: number }

export const ltv: Metric<typeof LtvParams, typeof LtvRow> = {
  params: LtvParams,
  row: LtvRow,
  async run(client, tenant, p) {
    const slices = await selectBySlices<Sums>(client, sql(p.segment), {
      tenant, from: p.from, to: p.to, acq: p.acquisitionCampaignId ?? "", ...attributionParams(p),
    });
    return addUpSlices(slices, "cohort", ["users", "r7", "r30", "r90"])
      .sort((a, b) => (a.cohort < b.cohort ? -1 : a.cohort > b.cohort ? 1 : 0))
      .map((s) => ({ cohort: s.cohort, users: s.users, ltv7Cents: s.r7 / s.users, ltv30Cents: s.r30 / s.users, ltv90Cents: s.r90 / s.users }));
  },
};
