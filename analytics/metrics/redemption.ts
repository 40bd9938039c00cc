import { RedemptionParams, RedemptionRow } from "../../schema/analytics";
import { FROM, IN_RANGE, TENANT, TO, ratio, type Metric } from "./metric";
import { addUpSlices, selectBySlices, slicedSql } from "./person-slices";

/**
 * Redemption rate: of the vouchers issued in the range, how many were ever redeemed (a voucher counts once).
 * Success rate: of the redemption attempts in the range, how many succeeded. Attempts without a campaign on the
 * event take their voucher's campaign; unknown vouchers land under campaign "". Card keys and direct recharges are
 * delivered, not redeemed at a store, so they are not counted as issued (events without a kind predate it: counted).
 * Read from redemption_vouchers (schema/clickhouse/0018), sorted by voucher: each voucher's issue and attempts are
 * grouped together, and a tenant with many people is read in slices of the voucher keys (person-slices.ts). Against
 * hash tables of every voucher over `events`: 364 → 344 ms at 10M events, 4,699 → 2,830 ms at 100M (bench/README.md,
 * session 38). Each voucher gives one row for its issue and one per attempt in the range, each under its campaign.
 * A coupon used online (applied at checkout, coupon_applied, and not given back by a cancel or refund, coupon_returned)
 * is redeemed (核销) as one used at a store is — the export's vouchers read `redeemed` for both — but it is no attempt
 * at a store, so the success rate does not count it.
 * A redemption undone by the store (撤销核销, voucher_redemption_reversed, kind 3 in schema/clickhouse/0023) is taken
 * off: the voucher counts as redeemed only while its redemptions outnumber its reversals, and the reversal takes one
 * success off the range it falls in (a redemption made by mistake was no successful use).
 */
const USED_ONLINE = `SELECT cityHash64(voucher_id) FROM events
  WHERE ${TENANT} AND type IN ('coupon_applied', 'coupon_returned') AND voucher_id != ''
  GROUP BY voucher_id HAVING countIf(type = 'coupon_applied') > countIf(type = 'coupon_returned')`;
const SQL = slicedSql((inSlice) => `
SELECT campaignId, sum(x.2) AS issued, sum(x.3) AS redeemed, sum(x.4) AS succeeded, sum(x.5) AS failed FROM (
  SELECT arrayJoin(arrayConcat(
           if(issued AND issued_at >= ${FROM} AND issued_at < ${TO}, [(campaign, toInt32(1), toInt32(ever), toInt32(0), toInt32(0))], []),
           arrayMap(a -> (if(a.1 != '', a.1, campaign), toInt32(0), toInt32(0), toInt32(a.2 = 1) - toInt32(a.2 = 3), toInt32(a.2 = 2)), attempts))) AS x,
         x.1 AS campaignId
  FROM (
    SELECT voucher_key, countIf(kind = 0) > 0 AS issued, minIf(occurred_at, kind = 0) AS issued_at,
           toString(anyIf(campaign_id, kind = 0)) AS campaign, countIf(kind = 1) > countIf(kind = 3) OR voucher_key IN (${USED_ONLINE}) AS ever,
           groupArrayIf((toString(campaign_id), kind), kind != 0 AND ${IN_RANGE}) AS attempts
    FROM redemption_vouchers
    WHERE ${TENANT} AND ${inSlice("voucher_key")}
    GROUP BY voucher_key
  )
)
WHERE {campaign:String} = '' OR campaignId = {campaign:String}
GROUP BY campaignId`);

interface Sums { campaignId: string; issued: number; redeemed: number; succeeded: number; failed: number }

export const redemption: Metric<typeof RedemptionParams, typeof RedemptionRow> = {
  params: RedemptionParams,
  row: RedemptionRow,
  async run(client, tenant, p) {
    const slices = await selectBySlices<Sums>(client, SQL, { tenant, from: p.from, to: p.to, campaign: p.campaignId ?? "" });
    return addUpSlices(slices, "campaignId", ["issued", "redeemed", "succeeded", "failed"])
      .sort((a, b) => b.issued - a.issued || (a.campaignId < b.campaignId ? -1 : a.campaignId > b.campaignId ? 1 : 0))
      .map((r) => ({ ...r, redemptionRate: ratio(r.redeemed, r.issued), successRate: ratio(r.succeeded, r.succeeded + r.failed) }));
  },
};
