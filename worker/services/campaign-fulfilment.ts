/**
 * A won claim becomes an order (flash sale) or a voucher (coupon claim, lottery prize) exactly once: the claim id
 * is the idempotency key of createOrder / the source key of issueVoucher, so the shard's outbox may call this
 * again after any restart and the second call returns the first result.
 */
import type { ClaimResult } from "../../schema/campaigns";
import type { ShardConfig } from "../durable/campaign-types";
import { ApiError } from "../errors";
import { createOrder } from "./orders";
import { issueVoucher } from "./vouchers";

export type FulfilOutcome =
  | { done: true; ref: string | null }
  | { done: false; permanent: boolean; reason: string; /** The ApiError code of a permanent refusal, shown to the buyer. */ code?: string; message?: string };

export async function fulfilClaim(env: Env, cfg: ShardConfig, userId: string, claim: ClaimResult): Promise<FulfilOutcome> {
  const { def, tenantId, campaignId } = cfg;
  try {
    if (def.kind === "flash_sale") {
      const { order } = await createOrder(env, {
        tenantId,
        buyerId: userId,
        productId: def.productId!,
        idempotencyKey: `claim:${claim.claimId}`,
        source: `flash:${campaignId}`,
        campaignId,
        unitPriceCents: def.priceCents,
        requirePublished: false,
      });
      return { done: true, ref: order.id };
    }
    const productId = def.kind === "lottery" ? (def.prizes.find((p) => p.id === claim.prizeId)?.productId ?? null) : def.productId;
    if (!productId) return { done: true, ref: null }; // a prize with nothing to deliver online
    const { voucher } = await issueVoucher(env, {
      tenantId,
      holderId: userId,
      productId,
      sourceKey: `claim:${claim.claimId}`,
      campaignId,
      meta: { claimId: claim.claimId, ...(claim.prizeId ? { prizeId: claim.prizeId } : {}) },
    });
    return { done: true, ref: voucher.id };
  } catch (e) {
    // A 4xx (product gone, product stock short of the campaign's) will not heal by retrying; anything else may.
    if (e instanceof ApiError && e.status < 500) return { done: false, permanent: true, reason: `${e.code}: ${e.message}`, code: e.code, message: e.message };
    return { done: false, permanent: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
