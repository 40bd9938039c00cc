import { RetentionParams, RetentionRow } from "../../schema/analytics";
import { cohortActivitySql, cohortWeekSql, elapsed, mergeCohorts, observedUntil, type CohortBy, type Segment } from "./cohort";
import { attributionParams, ratio, type Metric } from "./metric";
import { selectBySlices, slicedSql } from "./person-slices";

/**
 * Day-N retention: share of a weekly cohort active (any event) on exactly day N after the user's own cohort event
 * (China calendar days, cohort.ts). A young cohort's day N that has not yet ended for all its members (the data end: now, or
 * the 31-day horizon after `to`) is null, count and rate, instead of a rate that is still filling in.
 */
const HORIZON = 31;
const sql = (by: CohortBy, segment: Segment) => slicedSql((inSlice) => `
SELECT toString(${cohortWeekSql("c_at")}) AS cohort, count() AS users, toString(max(c_day)) AS lastDay,
       countIf(has(days, c_day + 1)) AS d1, countIf(has(days, c_day + 7)) AS d7, countIf(has(days, c_day + 30)) AS d30
FROM (${cohortActivitySql(by, segment, inSlice)})
GROUP BY cohort ORDER BY cohort`);

export const retention: Metric<typeof RetentionParams, typeof RetentionRow> = {
  params: RetentionParams,
  row: RetentionRow,
  async run(client, tenant, p) {
    const until = observedUntil(p.to, HORIZON);
    const parts = await selectBySlices<{ cohort: string; users: number; lastDay: string; d1: number; d7: number; d30: number }>(client, sql(p.cohortBy, p.segment), {
      tenant,
      from: p.from,
      to: p.to,
      acq: p.acquisitionCampaignId ?? "",
      ...attributionParams(p),
    });
    const rows = mergeCohorts(parts, (into, r) => {
      into.d1 += r.d1;
      into.d7 += r.d7;
      into.d30 += r.d30;
    });
    return rows.map(({ lastDay, ...r }) => {
      const day = (n: number, count: number) => (elapsed(lastDay, n + 1, until) ? count : null);
      const [d1, d7, d30] = [day(1, r.d1), day(7, r.d7), day(30, r.d30)];
      const rate = (n: number | null) => (n === null ? null : ratio(n, r.users));
      return { cohort: r.cohort, users: r.users, d1, d7, d30, d1Rate: rate(d1), d7Rate: rate(d7), d30Rate: rate(d30) };
    });
  },
};
