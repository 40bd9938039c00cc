import { PaidCardRenewalParams, PaidCardRenewalRow } from "../../schema/analytics";
import { bucketSql, everyBucket } from "./buckets";
import { FROM, TENANT, TO, ratio, select, type Metric } from "./metric";

/**
 * Each paid_card_changed purchased/renewed with a validUntil is a term that falls due at validUntil. Its outcome is
 * the card's next change (by cardId, in time order): renewed → renewed before lapse; lapsed or anything else → lapsed
 * (a later win-back is a new purchase, not a renewal); none yet → pending. Terms are bucketed by due date; a term due
 * in [from, to) started at most 400 days before `from` (annual cards and then some).
 */
const SQL = (bucket: Parameters<typeof bucketSql>[1]) => `
SELECT ${bucketSql("due_at", bucket)} AS bucket, count() AS due,
       countIf(outcome = 'renewed') AS renewed, countIf(outcome = 'lapsed') AS lapsed, countIf(outcome = '') AS pending
FROM (
  SELECT assumeNotNull(term.1) AS due_at, term.2 AS outcome
  FROM (
    SELECT card, arraySort(x -> x.1, groupArray((occurred_at, kind, until))) AS evs
    FROM (
      SELECT JSONExtractString(payload, 'cardId') AS card, occurred_at, JSONExtractString(payload, 'kind') AS kind,
             parseDateTime64BestEffortOrNull(JSONExtractString(payload, 'validUntil'), 3, 'UTC') AS until
      FROM events
      WHERE ${TENANT} AND type = 'paid_card_changed' AND occurred_at >= ${FROM} - INTERVAL 400 DAY
    )
    GROUP BY card
  )
  ARRAY JOIN arrayMap(i -> (evs[i].3, if(i < length(evs), if(evs[i + 1].2 = 'renewed', 'renewed', 'lapsed'), '')),
                      arrayFilter(i -> evs[i].2 IN ('purchased', 'renewed') AND isNotNull(evs[i].3), arrayEnumerate(evs))) AS term
)
WHERE due_at >= ${FROM} AND due_at < ${TO}
GROUP BY bucket ORDER BY bucket`;

export const paidCardRenewal: Metric<typeof PaidCardRenewalParams, typeof PaidCardRenewalRow> = {
  params: PaidCardRenewalParams,
  row: PaidCardRenewalRow,
  async run(client, tenant, p) {
    const rows = await select<{ bucket: string; due: number; renewed: number; lapsed: number; pending: number }>(client, SQL(p.bucket), { tenant, from: p.from, to: p.to });
    const counted = rows.map((r) => ({ ...r, renewalRate: ratio(r.renewed, r.renewed + r.lapsed) }));
    return everyBucket(counted, p.from, p.to, p.bucket, (bucket) => ({ bucket, due: 0, renewed: 0, lapsed: 0, pending: 0, renewalRate: null }));
  },
};
