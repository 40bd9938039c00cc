/**
 * A person's net revenue from ltv_people (schema/clickhouse/0017, 0019), for queries grouped by person: `REVENUE_COLUMNS`
 * go in the person's SELECT, `netWithin(start, end)` sums them between two times (expressions of that SELECT).
 * A refund made in parts sends a partial refund (kind 3) per part and, with the last, the whole order (kind 2): an order
 * with parts counts its parts, one refunded in one go its whole (as top_products counts them, per order).
 */
export const REVENUE_COLUMNS = `groupArrayIf((occurred_at, amount_cents, kind, order_key), kind != 0) AS revs,
         groupUniqArrayIf(order_key, kind = 3) AS in_parts`;

export const netWithin = (start: string, end: string) =>
  `arraySum(arrayMap(x -> if(x.1 >= ${start} AND x.1 < ${end} AND NOT (x.3 = 2 AND has(in_parts, x.4)), x.2, 0), revs))`;
