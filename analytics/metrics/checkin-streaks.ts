import { CheckinStreaksParams, CheckinStreaksRow, STREAK_BANDS } from "../../schema/analytics";
import { IN_RANGE, TENANT, ratio, select, type Metric } from "./metric";

/**
 * Per member who checked in during the range: the longest streak reached (member_checked_in.streak, as the product
 * counted it — a streak begun before `from` counts its earlier days too), banded. Every band is listed, in order.
 */
const SQL = `
SELECT multiIf(s >= 30, '30+', s >= 14, '14-29', s >= 7, '7-13', s >= 4, '4-6', toString(s)) AS streak, count() AS members
FROM (
  SELECT JSONExtractString(payload, 'memberId') AS member, max(JSONExtractUInt(payload, 'streak')) AS s FROM events
  WHERE ${TENANT} AND type = 'member_checked_in' AND ${IN_RANGE}
  GROUP BY member
  HAVING s >= 1
)
GROUP BY streak`;

export const checkinStreaks: Metric<typeof CheckinStreaksParams, typeof CheckinStreaksRow> = {
  params: CheckinStreaksParams,
  row: CheckinStreaksRow,
  async run(client, tenant, p) {
    const counts = new Map((await select<{ streak: string; members: number }>(client, SQL, { tenant, from: p.from, to: p.to })).map((r) => [r.streak, r.members]));
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return STREAK_BANDS.map((streak) => ({ streak, members: counts.get(streak) ?? 0, share: ratio(counts.get(streak) ?? 0, total) }));
  },
};
