import type { CampaignDefinition, ClaimResult } from "../../schema/campaigns";
import type { ClaimWon } from "../../schema/claim-facts";

/** The won-claim fact of a claim (null for "no prize"): what is ordered or issued, resolved from the frozen definition. */
export function claimWonFact(c: { tenantId: string; campaignId: string; def: CampaignDefinition }, userId: string, shard: number, r: ClaimResult): ClaimWon | null {
  if (r.outcome === "no_prize") return null;
  const { def } = c;
  const productId = def.kind === "lottery" ? (def.prizes.find((p) => p.id === r.prizeId)?.productId ?? null) : def.productId;
  return {
    v: 1, type: "claim_won", eventId: `clw_${r.claimId}`, claimId: r.claimId, tenantId: c.tenantId, campaignId: c.campaignId,
    campaignKind: def.kind, shard, userId, productId, prizeId: r.prizeId, priceCents: def.priceCents, at: r.at,
  };
}

/** Flash sales and coupon claims put a refused unit back on sale; lottery prizes stay awarded (the draw log replays as published). */
export const returnsRefusedUnit = (kind: CampaignDefinition["kind"]) => kind !== "lottery";
