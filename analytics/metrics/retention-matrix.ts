import { RETENTION_WEEKS, RetentionMatrixParams, RetentionMatrixRow } from "../../schema/analytics";
import { activityOffsetsSql } from "./activity";
import { ratio, select, type Metric } from "./metric";

/** Week k = days 7k..7k+6 after the user's own cohort event; W0 is always the whole cohort. */
const weeks = Array.from({ length: RETENTION_WEEKS }, (_, k) => `uniqExactIf(user_id, intDiv(off, 7) = ${k})`).join(", ");
const SQL = `
SELECT toString(cohort) AS cohort, uniqExact(user_id) AS users, [${weeks}] AS retained
FROM (${activityOffsetsSql(RETENTION_WEEKS * 7)})
GROUP BY cohort ORDER BY cohort`;

export const retentionMatrix: Metric<typeof RetentionMatrixParams, typeof RetentionMatrixRow> = {
  params: RetentionMatrixParams,
  row: RetentionMatrixRow,
  async run(client, tenant, p) {
    const rows = await select<{ cohort: string; users: number; retained: number[] }>(client, SQL, {
      tenant,
      from: p.from,
      to: p.to,
      cohortEvent: p.cohortBy === "signup" ? "user_signed_up" : "order_paid",
      acq: p.acquisitionCampaignId ?? "",
    });
    return rows.map((r) => ({ ...r, rates: r.retained.map((n) => ratio(n, r.users)) }));
  },
};
