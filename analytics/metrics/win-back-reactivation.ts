import { WinBackReactivationParams, WinBackReactivationRow } from "../../schema/analytics";
import { bucketSql, everyBucket } from "./buckets";
import { FROM, IN_RANGE, TENANT, ratio, select, type Metric } from "./metric";

/**
 * Each win-back message (message_sent, payload.flow = win_back) sent in [from, to) is one try; it reactivated when
 * the same person (actor user) has an order_paid with a positive amount after the message and within `days` of it
 * (free orders — the win-back coupon itself — do not count). Bucketed by the message's time, every bucket listed.
 */
const SQL = (bucket: Parameters<typeof bucketSql>[1]) => `
SELECT ${bucketSql("sent_at", bucket)} AS bucket, count() AS sent,
       countIf(arrayExists(p -> p >= sent_at AND p <= sent_at + toIntervalDay({days:UInt32}), pays)) AS reactivated
FROM (
  SELECT user_id, occurred_at AS sent_at FROM events
  WHERE ${TENANT} AND type = 'message_sent' AND JSONExtractString(payload, 'flow') = 'win_back' AND ${IN_RANGE}
) AS s
LEFT JOIN (
  SELECT user_id, groupArray(occurred_at) AS pays FROM events
  WHERE ${TENANT} AND type = 'order_paid' AND amount_cents > 0 AND occurred_at >= ${FROM}
  GROUP BY user_id
) AS p USING (user_id)
GROUP BY bucket ORDER BY bucket`;

export const winBackReactivation: Metric<typeof WinBackReactivationParams, typeof WinBackReactivationRow> = {
  params: WinBackReactivationParams,
  row: WinBackReactivationRow,
  async run(client, tenant, p) {
    const rows = await select<{ bucket: string; sent: number; reactivated: number }>(client, SQL(p.bucket), { tenant, from: p.from, to: p.to, days: p.days });
    const counted = rows.map((r) => ({ bucket: r.bucket, sent: Number(r.sent), reactivated: Number(r.reactivated), reactivationRate: ratio(Number(r.reactivated), Number(r.sent)) }));
    return everyBucket(counted, p.from, p.to, p.bucket, (bucket) => ({ bucket, sent: 0, reactivated: 0, reactivationRate: null }));
  },
};
