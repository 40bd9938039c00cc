/**
 * A won claim becomes an order (flash sale) or a voucher (coupon claim, lottery prize) exactly once: the claim id
 * is the idempotency key of createOrder / the source key of issueVoucher, so the claims consumer (and the winner's
 * order route) may call this again after any crash or redelivery and the second call returns the first result.
 */
import type { ClaimWon } from "../../schema/claim-facts";
import { currentHolders } from "../db/buyers";
import { ApiError } from "../errors";
import { createOrders } from "./order-batch";
import { createOrder, type CreateOrderParams } from "./orders";
import { issueVoucher } from "./vouchers";

export type FulfilOutcome =
  | { done: true; ref: string | null }
  | { done: false; permanent: boolean; reason: string; /** The ApiError code of a permanent refusal, shown to the buyer. */ code?: string; message?: string };

/**
 * A won flash-sale claim's order: keyed on the claim id, at the campaign's price, from a draft product too; made for
 * `holder`, the account the winner's guest was attached to since the claim, if it was.
 */
const orderOfClaim = (fact: ClaimWon, holder: string): CreateOrderParams => ({
  tenantId: fact.tenantId,
  buyerId: holder,
  ...(holder !== fact.userId ? { winnerId: fact.userId } : {}),
  productId: fact.productId!,
  idempotencyKey: `claim:${fact.claimId}`,
  source: `flash:${fact.campaignId}`,
  campaignId: fact.campaignId,
  unitPriceCents: fact.priceCents,
  requirePublished: false,
});

const isOrder = (fact: ClaimWon) => fact.campaignKind === "flash_sale";

/** A refusal that retrying will not heal (a 4xx: product gone, product stock short of the campaign's) or one that may. */
function failed(e: unknown): FulfilOutcome {
  if (e instanceof ApiError && e.status < 500) return { done: false, permanent: true, reason: `${e.code}: ${e.message}`, code: e.code, message: e.message };
  return { done: false, permanent: false, reason: e instanceof Error ? e.message : String(e) };
}

/**
 * Many won claims at once (the claims consumer's batch of one home shard), outcomes in input order: the flash-sale
 * orders of one product in one transaction (services/order-batch.ts), anything else one by one, `parallel` at a time.
 */
export async function fulfilClaims(env: Env, facts: ClaimWon[], parallel = 4): Promise<FulfilOutcome[]> {
  const outcomes = new Array<FulfilOutcome>(facts.length);
  const holders = await holdersOf(env, facts);
  const byProduct = new Map<string, number[]>();
  const rest: number[] = [];
  for (const [i, fact] of facts.entries()) {
    if (!isOrder(fact)) rest.push(i);
    else {
      const key = `${fact.tenantId}\u0000${fact.productId}`;
      byProduct.set(key, [...(byProduct.get(key) ?? []), i]);
    }
  }
  for (const at of byProduct.values()) {
    const made = await createOrders(env, at.map((i) => orderOfClaim(facts[i]!, holders[i]!))).catch((e: unknown) => at.map(() => ({ ok: false as const, error: e })));
    made.forEach((m, j) => (outcomes[at[j]!] = m.ok ? { done: true, ref: m.value.order.id } : failed(m.error)));
  }
  for (let i = 0; i < rest.length; i += parallel) {
    await Promise.all(rest.slice(i, i + parallel).map(async (at) => (outcomes[at] = await fulfilClaim(env, facts[at]!, holders[at]))));
  }
  return outcomes;
}

/** Each fact's holder (db/buyers.ts currentHolders): one read per brand in the batch. */
async function holdersOf(env: Env, facts: ClaimWon[]): Promise<string[]> {
  const ids = new Map<string, string[]>();
  for (const f of facts) ids.set(f.tenantId, [...(ids.get(f.tenantId) ?? []), f.userId]);
  const found = new Map(await Promise.all([...ids].map(async ([t, of]) => [t, await currentHolders(env.DB, t, of)] as const)));
  return facts.map((f) => found.get(f.tenantId)?.get(f.userId) ?? f.userId);
}

/** `holder`: who gets it (holdersOf), read here when not given. */
export async function fulfilClaim(env: Env, fact: ClaimWon, holder?: string): Promise<FulfilOutcome> {
  const { tenantId, campaignId, productId, claimId } = fact;
  try {
    const holderId = holder ?? (await holdersOf(env, [fact]))[0]!;
    if (isOrder(fact)) {
      const { order } = await createOrder(env, orderOfClaim(fact, holderId));
      return { done: true, ref: order.id };
    }
    if (!productId) return { done: true, ref: null }; // a prize with nothing to deliver online
    const { voucher } = await issueVoucher(env, {
      tenantId,
      holderId,
      productId,
      sourceKey: `claim:${claimId}`,
      campaignId,
      meta: { claimId, ...(fact.prizeId ? { prizeId: fact.prizeId } : {}) },
    });
    return { done: true, ref: voucher.id };
  } catch (e) {
    return failed(e);
  }
}
