import { markWinReturned, unreturnedWins, type OrderRow } from "../db/orders";
import { publicCampaign, shardOf } from "./campaigns";

const CLAIM_KEY = "claim:";

type LapsedOrder = Pick<OrderRow, "id" | "tenant_id" | "status" | "source" | "campaign_id" | "idempotency_key">;

/** A flash-sale win's order (made by the claims consumer from a won claim). */
const isFlashWin = (o: Pick<OrderRow, "source" | "campaign_id" | "idempotency_key">) =>
  !!o.campaign_id && o.source.startsWith("flash:") && o.idempotency_key.startsWith(CLAIM_KEY);

/**
 * What a flash-sale win's order hands back to ROI when it closes without the buyer keeping the right: its campaign and
 * the cost its claim_succeeded counted. On order_cancelled (lapsed unpaid: the discount was never given; the unit may
 * be won again and counted again) and on order_refunded (refunded whole: a key not yet delivered goes back to stock, a
 * delivered right is marked refunded, unused — a refund is refused once one was redeemed — so nothing was given either).
 * Nothing for other orders.
 */
export async function winCostHandedBack(env: Env, order: Pick<OrderRow, "source" | "campaign_id" | "idempotency_key">): Promise<{ campaignId?: string; costCents?: number }> {
  if (!isFlashWin(order)) return {};
  const hit = await publicCampaign(env, order.campaign_id!).catch(() => null);
  return { campaignId: order.campaign_id!, costCents: hit?.campaign.costCents ?? 0 };
}

/**
 * A flash-sale win's order that lapsed unpaid (expired, or cancelled by its buyer): the campaign's shard holding the
 * claim puts its unit back on sale and lets the winner try again (once: the shard marks the claim). Called after the
 * order's own transaction; the order is marked when the shard has answered, and the minute cron retries an order a
 * crash left in between (`returnStrandedWins`), so the unit is never sold twice and never lost. False: try again later.
 */
export async function returnLapsedWin(env: Env, order: LapsedOrder): Promise<boolean> {
  if (!order.campaign_id) return true;
  if (!(await handBack(env, order.campaign_id, order))) return false;
  await markWinReturned(env.DB, order.tenant_id, order.id);
  return true;
}

/** True once nothing is left to do for the order: its unit is back, or it never was a flash-sale win to return. */
async function handBack(env: Env, campaignId: string, order: LapsedOrder): Promise<boolean> {
  if (!isFlashWin(order)) return true;
  const claimId = order.idempotency_key.slice(CLAIM_KEY.length);
  try {
    const hit = await publicCampaign(env, campaignId);
    if (!hit) return true;
    for (let s = 0; s < hit.campaign.shards; s++) {
      if (await shardOf(env, hit.campaign.id, s).lapseClaim(hit.campaign.id, s, claimId, order.status === "cancelled")) return true;
    }
    return true;
  } catch (e) {
    console.error(JSON.stringify({ at: "return_lapsed_win", orderId: order.id, error: e instanceof Error ? e.message : String(e) }));
    return false;
  }
}

/**
 * Cron: lapsed campaign orders whose hand-back did not finish (a crash or an unreachable shard) a minute ago or more.
 * Answers the ids of the orders handed back.
 */
export async function returnStrandedWins(env: Env): Promise<string[]> {
  const returned: string[] = [];
  for (const o of await unreturnedWins(env.DB, new Date(Date.now() - 60_000).toISOString())) {
    if (await returnLapsedWin(env, o)) returned.push(o.id);
  }
  return returned;
}
