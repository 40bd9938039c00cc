/**
 * The shard count the console proposes for a campaign's total stock (units, or all prizes of a lottery): one shard
 * per 1,000 units, at least 1, at most 16. Few units need no spreading, and each extra shard splits the stock
 * further (more refills and reclaims); the API's own default stays 4. No imports: the console page bundles it.
 */
export function defaultShards(totalStock: number): number {
  return Math.min(16, Math.max(1, Math.ceil(Math.max(0, totalStock) / 1000)));
}
