import { RetentionParams, RetentionRow } from "../../schema/analytics";
import { activityOffsetsSql } from "./activity";
import { ratio, select, type Metric } from "./metric";

/**
 * Day-N retention: share of a weekly cohort active (any event) on exactly day N after the user's own cohort event
 * (calendar days, UTC). Young cohorts are still filling in: their D30 counts only users already 30 days old.
 */
const SQL = `
SELECT toString(cohort) AS cohort, uniqExact(user_id) AS users,
       uniqExactIf(user_id, off = 1) AS d1, uniqExactIf(user_id, off = 7) AS d7, uniqExactIf(user_id, off = 30) AS d30
FROM (${activityOffsetsSql(31)})
GROUP BY cohort ORDER BY cohort`;

export const retention: Metric<typeof RetentionParams, typeof RetentionRow> = {
  params: RetentionParams,
  row: RetentionRow,
  async run(client, tenant, p) {
    const rows = await select<{ cohort: string; users: number; d1: number; d7: number; d30: number }>(client, SQL, {
      tenant,
      from: p.from,
      to: p.to,
      cohortEvent: p.cohortBy === "signup" ? "user_signed_up" : "order_paid",
      acq: p.acquisitionCampaignId ?? "",
    });
    return rows.map((r) => ({ ...r, d1Rate: ratio(r.d1, r.users), d7Rate: ratio(r.d7, r.users), d30Rate: ratio(r.d30, r.users) }));
  },
};
