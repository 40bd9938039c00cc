import { MembersByTierParams, MembersByTierRow } from "../../schema/analytics";
import { bucketsOf } from "./buckets";
import { TENANT, TO, select, type Metric } from "./metric";

/**
 * Members in each tier at the end of each bucket. A member counts from member_joined on; the earned tier is the
 * join's tierId, then each member_tier_changed's toTierId (grace notices change nothing; direction paid_card is
 * skipped because the paid layer is read from paid_card_changed itself). While a paid card is valid — its last
 * change was purchased or renewed and validUntil has not passed — the member counts in the card's tier instead
 * (the card's tier is taken to be the better one; the warehouse has no tier ranks to compare).
 * Reads every membership event of the tenant before `to` (a state needs its history), grouped per member.
 */
const SQL = `
SELECT bucket, if(card_on, card.2, earned_tier) AS tierId, count() AS members
FROM (
  SELECT b.1 AS bucket,
         arrayExists(x -> x.1 < b.2 AND x.3, earned) AS is_member,
         arrayLast(x -> x.1 < b.2, earned).2 AS earned_tier,
         arrayLast(x -> x.1 < b.2, paid) AS card,
         card.3 IN ('purchased', 'renewed') AND card.2 != '' AND (isNull(card.4) OR card.4 > b.2) AS card_on
  FROM (
    SELECT member,
           arraySort(x -> x.1, groupArrayIf((occurred_at, tier, type = 'member_joined'), type != 'paid_card_changed')) AS earned,
           arraySort(x -> x.1, groupArrayIf((occurred_at, tier, kind, until), type = 'paid_card_changed')) AS paid
    FROM (
      SELECT JSONExtractString(payload, 'memberId') AS member, occurred_at, type,
             JSONExtractString(payload, if(type = 'member_tier_changed', 'toTierId', 'tierId')) AS tier,
             JSONExtractString(payload, 'kind') AS kind,
             parseDateTime64BestEffortOrNull(JSONExtractString(payload, 'validUntil'), 3, 'UTC') AS until
      FROM events
      WHERE ${TENANT} AND type IN ('member_joined', 'member_tier_changed', 'paid_card_changed') AND occurred_at < ${TO}
        AND (type != 'member_tier_changed' OR JSONExtractString(payload, 'direction') NOT IN ('grace', 'paid_card'))
    )
    GROUP BY member
  )
  ARRAY JOIN arrayZip({labels:Array(String)}, arrayMap(s -> parseDateTime64BestEffort(s, 3, 'UTC'), {ends:Array(String)})) AS b
)
WHERE is_member
GROUP BY bucket, tierId ORDER BY bucket, tierId`;

export const membersByTier: Metric<typeof MembersByTierParams, typeof MembersByTierRow> = {
  params: MembersByTierParams,
  row: MembersByTierRow,
  async run(client, tenant, p) {
    const buckets = bucketsOf(p.from, p.to, p.bucket);
    return select(client, SQL, { tenant, from: p.from, to: p.to, labels: buckets.map((b) => b.label), ends: buckets.map((b) => b.end) });
  },
};
