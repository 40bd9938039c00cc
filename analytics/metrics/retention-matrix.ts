import { RETENTION_WEEKS, RetentionMatrixParams, RetentionMatrixRow } from "../../schema/analytics";
import { cohortActivitySql, type CohortBy } from "./cohort";
import { ratio, select, type Metric } from "./metric";

/** Week k = days 7k..7k+6 after the user's own cohort event; W0 is always the whole cohort. */
const sql = (by: CohortBy) => `
SELECT toString(toMonday(c_at)) AS cohort, count() AS users,
       sumForEach(arrayMap(k -> toUInt64(has(weeks, k)), range(${RETENTION_WEEKS}))) AS retained
FROM (
  SELECT c_at, arrayDistinct(arrayMap(o -> intDiv(o, 7), arrayFilter(o -> o >= 0, offs))) AS weeks
  FROM (${cohortActivitySql(by, RETENTION_WEEKS * 7)})
)
GROUP BY cohort ORDER BY cohort`;

export const retentionMatrix: Metric<typeof RetentionMatrixParams, typeof RetentionMatrixRow> = {
  params: RetentionMatrixParams,
  row: RetentionMatrixRow,
  async run(client, tenant, p) {
    const rows = await select<{ cohort: string; users: number; retained: number[] }>(client, sql(p.cohortBy), {
      tenant,
      from: p.from,
      to: p.to,
      acq: p.acquisitionCampaignId ?? "",
    });
    return rows.map((r) => ({ ...r, rates: r.retained.map((n) => ratio(n, r.users)) }));
  },
};
