import { ReminderConversionParams, ReminderConversionRow } from "../../schema/analytics";
import { bucketSql, everyBucket } from "./buckets";
import { FROM, TENANT, TO, ratio, select, type Metric } from "./metric";

/**
 * Each coupon reminded before expiry (message_sent, payload.flow = expiry_reminder, with a voucherId; its first
 * reminder) in [from, to) is one try; it converted when a voucher_redeemed or coupon_applied of that voucher follows
 * the reminder before any voucher_expired of it. Bucketed by the reminder's time; uses after `to` still count.
 */
const NEVER = "toDateTime64('2200-01-01 00:00:00', 3, 'UTC')";
const SQL = (bucket: Parameters<typeof bucketSql>[1]) => `
SELECT ${bucketSql("sent_at", bucket)} AS bucket, count() AS reminded,
       countIf(arrayExists(e -> e.2 != 'message_sent' AND e.1 >= sent_at AND e.1 < expired_at, evs)) AS used
FROM (
  SELECT voucher_id,
         minIf(occurred_at, type = 'message_sent') AS sent_at,
         if(countIf(type = 'voucher_expired') > 0, minIf(occurred_at, type = 'voucher_expired'), ${NEVER}) AS expired_at,
         groupArray((occurred_at, type)) AS evs
  FROM events
  WHERE ${TENANT} AND voucher_id != '' AND occurred_at >= ${FROM}
    AND (type IN ('voucher_redeemed', 'coupon_applied', 'voucher_expired')
         OR (type = 'message_sent' AND JSONExtractString(payload, 'flow') = 'expiry_reminder'))
  GROUP BY voucher_id
  HAVING countIf(type = 'message_sent') > 0
)
WHERE sent_at >= ${FROM} AND sent_at < ${TO}
GROUP BY bucket ORDER BY bucket`;

export const reminderConversion: Metric<typeof ReminderConversionParams, typeof ReminderConversionRow> = {
  params: ReminderConversionParams,
  row: ReminderConversionRow,
  async run(client, tenant, p) {
    const rows = await select<{ bucket: string; reminded: number; used: number }>(client, SQL(p.bucket), { tenant, from: p.from, to: p.to });
    const counted = rows.map((r) => ({ bucket: r.bucket, reminded: Number(r.reminded), used: Number(r.used), conversionRate: ratio(Number(r.used), Number(r.reminded)) }));
    return everyBucket(counted, p.from, p.to, p.bucket, (bucket) => ({ bucket, reminded: 0, used: 0, conversionRate: null }));
  },
};
