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

/** Refusals of a won unit's order that are the product's, not the winner's (services/orders.ts codes). */
const PRODUCTS_REFUSALS = new Set(["sold_out", "validity_ended", "bundle_invalid", "coupon_budget_exhausted"]);
export const isProductsRefusal = (code: string) => PRODUCTS_REFUSALS.has(code);

/**
 * Whether a refused unit goes back on sale: not a lottery prize, and not when the product refused it (it ran out or
 * ended: back on sale it would only be won and refused again; the winner's limit is given back instead).
 */
export const refusedUnitReturns = (kind: CampaignDefinition["kind"], code: string) => returnsRefusedUnit(kind) && !isProductsRefusal(code);
