/**
 * A won claim becomes an order (flash sale) or a voucher (coupon claim, lottery prize) exactly once: the claim id
 * is the idempotency key of createOrder / the source key of issueVoucher, so the claims consumer (and the winner's
 * order route) may call this again after any crash or redelivery and the second call returns the first result.
 */
import type { ClaimWon } from "../../schema/claim-facts";
import { ApiError } from "../errors";
import { createOrder } from "./orders";
import { issueVoucher } from "./vouchers";

export type FulfilOutcome =
  | { done: true; ref: string | null }
  | { done: false; permanent: boolean; reason: string; /** The ApiError code of a permanent refusal, shown to the buyer. */ code?: string; message?: string };

export async function fulfilClaim(env: Env, fact: ClaimWon): Promise<FulfilOutcome> {
  const { tenantId, campaignId, userId, productId, claimId } = fact;
  try {
    if (fact.campaignKind === "flash_sale") {
      const { order } = await createOrder(env, {
        tenantId,
        buyerId: userId,
        productId: productId!,
        idempotencyKey: `claim:${claimId}`,
        source: `flash:${campaignId}`,
        campaignId,
        unitPriceCents: fact.priceCents,
        requirePublished: false,
      });
      return { done: true, ref: order.id };
    }
    if (!productId) return { done: true, ref: null }; // a prize with nothing to deliver online
    const { voucher } = await issueVoucher(env, {
      tenantId,
      holderId: userId,
      productId,
      sourceKey: `claim:${claimId}`,
      campaignId,
      meta: { claimId, ...(fact.prizeId ? { prizeId: fact.prizeId } : {}) },
    });
    return { done: true, ref: voucher.id };
  } catch (e) {
    // A 4xx (product gone, product stock short of the campaign's) will not heal by retrying; anything else may.
    if (e instanceof ApiError && e.status < 500) return { done: false, permanent: true, reason: `${e.code}: ${e.message}`, code: e.code, message: e.message };
    return { done: false, permanent: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
