/**
 * Recommendations from co-purchases (issue 19 item 7), for one tenant:
 *  - also bought: for product A, the products B that A's paying buyers also paid for, ranked by the number of buyers
 *    in common, then lift = common · all buyers / (buyers of A · buyers of B), then id;
 *  - for you: for each recently active buyer, the co-purchases of what they bought (weight 2) or viewed (weight 1),
 *    scored Σ weight · buyers in common, excluding what they already paid for, topped up with the top products;
 *  - top: products by distinct paying buyers (the fallback for everyone else).
 * Which of these products are still on sale is the edge's business (it filters to published ones when it reads).
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { RecommendationsRequest, RecommendationsResult, ScoredProduct } from "../../schema/recommendations";
import { select, TENANT } from "../metrics/metric";

const SINCE = "occurred_at >= now64(3) - toIntervalDay({days:UInt32})";
const PAID = `SELECT DISTINCT user_id, product_id FROM events
  WHERE ${TENANT} AND type = 'order_paid' AND user_id != '' AND product_id != '' AND ${SINCE}`;
const PAIRS = `SELECT a.product_id AS p, b.product_id AS q, count() AS n
  FROM paid AS a INNER JOIN paid AS b ON a.user_id = b.user_id WHERE a.product_id != b.product_id GROUP BY p, q`;

const PAIRS_SQL = `WITH paid AS (${PAID}) ${PAIRS}`;
const BUYERS_SQL = `WITH paid AS (${PAID})
SELECT product_id AS productId, count() AS buyers, (SELECT uniqExact(user_id) FROM paid) AS total
FROM paid GROUP BY productId ORDER BY buyers DESC, productId`;
const ACTIVE = `active AS (SELECT user_id FROM events
  WHERE ${TENANT} AND type IN ('order_paid', 'product_viewed') AND user_id != '' AND ${SINCE}
  GROUP BY user_id ORDER BY max(occurred_at) DESC, user_id LIMIT {maxUsers:UInt32})`;
const FOR_YOU_SQL = `WITH paid AS (${PAID}), pairs AS (${PAIRS}), ${ACTIVE},
seen AS (SELECT user_id, product_id, max(if(type = 'order_paid', 2, 1)) AS w FROM events
  WHERE ${TENANT} AND type IN ('order_paid', 'product_viewed') AND user_id != '' AND product_id != '' AND ${SINCE}
    AND user_id IN (SELECT user_id FROM active)
  GROUP BY user_id, product_id)
SELECT s.user_id AS userId, pr.q AS productId, sum(s.w * pr.n) AS score
FROM seen AS s INNER JOIN pairs AS pr ON pr.p = s.product_id
WHERE (s.user_id, pr.q) NOT IN (SELECT user_id, product_id FROM paid)
GROUP BY userId, productId
ORDER BY userId, score DESC, productId
LIMIT {limit:UInt32} BY userId`;
const OWNED_SQL = `WITH ${ACTIVE}, paid AS (${PAID}) SELECT user_id AS userId, groupArray(product_id) AS products FROM paid
WHERE user_id IN (SELECT user_id FROM active) GROUP BY userId`;
const ACTIVE_SQL = `WITH ${ACTIVE} SELECT user_id AS userId FROM active`;

const TOP_N = 50;

export async function computeRecommendations(client: ClickHouseClient, r: RecommendationsRequest): Promise<RecommendationsResult> {
  const params = { tenant: r.tenantId, days: r.days, limit: r.limit, maxUsers: r.maxUsers };
  const [pairs, buyers, picks, owned, active] = await Promise.all([
    select<{ p: string; q: string; n: number }>(client, PAIRS_SQL, params),
    select<{ productId: string; buyers: number; total: number }>(client, BUYERS_SQL, params),
    select<{ userId: string; productId: string; score: number }>(client, FOR_YOU_SQL, params),
    select<{ userId: string; products: string[] }>(client, OWNED_SQL, params),
    select<{ userId: string }>(client, ACTIVE_SQL, params),
  ]);
  const count = new Map(buyers.map((b) => [b.productId, Number(b.buyers)]));
  const total = Number(buyers[0]?.total ?? 0);

  const alsoBought = new Map<string, { productId: string; score: number; buyers: number; lift: number }[]>();
  for (const { p, q, n } of pairs) {
    const common = Number(n);
    const lift = (common * total) / (count.get(p)! * count.get(q)!);
    alsoBought.set(p, [...(alsoBought.get(p) ?? []), { productId: q, score: common, buyers: common, lift }]);
  }
  const top: ScoredProduct[] = buyers.slice(0, TOP_N).map((b) => ({ productId: b.productId, score: Number(b.buyers) }));

  const ownedBy = new Map(owned.map((o) => [o.userId, new Set(o.products)]));
  const picked = new Map<string, ScoredProduct[]>();
  for (const x of picks) picked.set(x.userId, [...(picked.get(x.userId) ?? []), { productId: x.productId, score: Number(x.score) }]);
  const forYou = active.map(({ userId }) => {
    const items = picked.get(userId) ?? [];
    const skip = new Set([...(ownedBy.get(userId) ?? []), ...items.map((i) => i.productId)]);
    // Top-ups score 0: below every co-purchase, in top-product order.
    for (const t of top) if (items.length < r.limit && !skip.has(t.productId)) items.push({ productId: t.productId, score: 0 });
    return { userId, items };
  });

  return {
    alsoBought: [...alsoBought].map(([productId, items]) => ({
      productId,
      items: items.sort((a, b) => b.buyers - a.buyers || b.lift - a.lift || a.productId.localeCompare(b.productId)).slice(0, r.limit),
    })).sort((a, b) => a.productId.localeCompare(b.productId)),
    forYou,
    top,
  };
}
