import { RetentionParams, RetentionRow } from "../../schema/analytics";
import { cohortActivitySql, type CohortBy } from "./cohort";
import { ratio, select, type Metric } from "./metric";

/**
 * Day-N retention: share of a weekly cohort active (any event) on exactly day N after the user's own cohort event
 * (calendar days, UTC). Young cohorts are still filling in: their D30 counts only users already 30 days old.
 */
const sql = (by: CohortBy) => `
SELECT toString(toMonday(c_at)) AS cohort, count() AS users,
       countIf(has(offs, 1)) AS d1, countIf(has(offs, 7)) AS d7, countIf(has(offs, 30)) AS d30
FROM (${cohortActivitySql(by, 31)})
GROUP BY cohort ORDER BY cohort`;

export const retention: Metric<typeof RetentionParams, typeof RetentionRow> = {
  params: RetentionParams,
  row: RetentionRow,
  async run(client, tenant, p) {
    const rows = await select<{ cohort: string; users: number; d1: number; d7: number; d30: number }>(client, sql(p.cohortBy), {
      tenant,
      from: p.from,
      to: p.to,
      acq: p.acquisitionCampaignId ?? "",
    });
    return rows.map((r) => ({ ...r, d1Rate: ratio(r.d1, r.users), d7Rate: ratio(r.d7, r.users), d30Rate: ratio(r.d30, r.users) }));
  },
};
