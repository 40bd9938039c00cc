import { RedemptionParams, RedemptionRow } from "../../schema/analytics";
import { IN_RANGE, TENANT, ratio, select, type Metric } from "./metric";

/**
 * Redemption rate: of the vouchers issued in the range, how many were ever redeemed (a voucher counts once).
 * Success rate: of the redemption attempts in the range, how many succeeded. Attempts without a campaign on the
 * event take their voucher's campaign; unknown vouchers land under campaign "". Card keys and direct recharges are
 * delivered, not redeemed at a store, so they are not counted as issued (events without a kind predate it: counted).
 * Vouchers are keyed by their id's 64-bit hash (distinct() in metric.ts says why).
 */
const SQL = `
WITH issued AS (
  SELECT cityHash64(voucher_id) AS voucher_key, any(campaign_id) AS campaign_id, min(occurred_at) AS issued_at FROM events
  WHERE ${TENANT} AND type = 'voucher_issued' AND voucher_id != ''
    AND JSONExtractString(payload, 'kind') NOT IN ('card_key', 'direct_recharge')
  GROUP BY voucher_key
)
SELECT campaignId, sum(i) AS issued, sum(r) AS redeemed, sum(ok) AS succeeded, sum(ko) AS failed FROM (
  SELECT campaign_id AS campaignId, count() AS i,
         countIf(voucher_key IN (SELECT cityHash64(voucher_id) FROM events WHERE ${TENANT} AND type = 'voucher_redeemed')) AS r,
         0 AS ok, 0 AS ko
  FROM issued WHERE issued_at >= parseDateTime64BestEffort({from:String}, 3, 'UTC') AND issued_at < parseDateTime64BestEffort({to:String}, 3, 'UTC')
  GROUP BY campaign_id
  UNION ALL
  SELECT if(a.campaign_id != '', a.campaign_id, iv.campaign_id) AS campaignId, 0 AS i, 0 AS r,
         countIf(a.type = 'voucher_redeemed') AS ok, countIf(a.type = 'voucher_redeem_failed') AS ko
  FROM (SELECT cityHash64(voucher_id) AS voucher_key, campaign_id, type FROM events
        WHERE ${TENANT} AND ${IN_RANGE} AND type IN ('voucher_redeemed', 'voucher_redeem_failed')) AS a
  LEFT JOIN issued AS iv ON iv.voucher_key = a.voucher_key
  GROUP BY campaignId
)
WHERE {campaign:String} = '' OR campaignId = {campaign:String}
GROUP BY campaignId ORDER BY issued DESC, campaignId`;

export const redemption: Metric<typeof RedemptionParams, typeof RedemptionRow> = {
  params: RedemptionParams,
  row: RedemptionRow,
  async run(client, tenant, p) {
    const rows = await select<{ campaignId: string; issued: number; redeemed: number; succeeded: number; failed: number }>(
      client, SQL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "" },
    );
    return rows.map((r) => ({
      ...r,
      redemptionRate: ratio(r.redeemed, r.issued),
      successRate: ratio(r.succeeded, r.succeeded + r.failed),
    }));
  },
};
