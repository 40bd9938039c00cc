import { PointsParams, PointsRow } from "../../schema/analytics";
import { bucketSql, bucketsOf } from "./buckets";
import { FROM, TENANT, TO, select, type Metric } from "./metric";

/**
 * The points ledger per bucket. Earned, spent and expired are counted by size whichever sign the event carries;
 * reversals and adjustments keep their sign (a reversal of an earn takes points back, of a spend gives them back).
 * Outstanding = the signed sum of every movement before the end of the bucket: movements before `from` arrive as
 * one opening row (bucket '') so the running sum starts from the true balance.
 */
const SQL = (bucket: Parameters<typeof bucketSql>[1]) => `
SELECT if(occurred_at < ${FROM}, '', ${bucketSql("occurred_at", bucket)}) AS bucket,
       sumIf(abs(points), type = 'points_earned') AS issued,
       sumIf(abs(points), type = 'points_spent') AS spent,
       sumIf(abs(points), type = 'points_expired') AS expired,
       sumIf(points, type = 'points_reversed') AS reversed,
       sumIf(points, type = 'points_adjusted') AS adjusted
FROM (
  SELECT occurred_at, type, JSONExtractInt(payload, 'points') AS points FROM events
  WHERE ${TENANT} AND type IN ('points_earned', 'points_spent', 'points_expired', 'points_reversed', 'points_adjusted') AND occurred_at < ${TO}
)
GROUP BY bucket`;

type Sums = { bucket: string; issued: number; spent: number; expired: number; reversed: number; adjusted: number };
const net = (r: Sums) => r.issued - r.spent - r.expired + r.reversed + r.adjusted;

export const points: Metric<typeof PointsParams, typeof PointsRow> = {
  params: PointsParams,
  row: PointsRow,
  async run(client, tenant, p) {
    const sums = new Map((await select<Sums>(client, SQL(p.bucket), { tenant, from: p.from, to: p.to })).map((r) => [r.bucket, r]));
    let outstanding = sums.has("") ? net(sums.get("")!) : 0;
    return bucketsOf(p.from, p.to, p.bucket).map(({ label }) => {
      const r = sums.get(label) ?? { bucket: label, issued: 0, spent: 0, expired: 0, reversed: 0, adjusted: 0 };
      outstanding += net(r);
      return { ...r, bucket: label, outstanding, outstandingValueCents: Math.round(outstanding * p.pointValueCents) };
    });
  },
};
