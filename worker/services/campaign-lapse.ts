import type { OrderRow } from "../db/orders";
import { publicCampaign, shardOf } from "./campaigns";

const CLAIM_KEY = "claim:";

/**
 * A flash-sale win's order that lapsed unpaid (expired, or cancelled by its buyer): the campaign's shard holding the
 * claim puts its unit back on sale and lets the winner try again (once: the shard marks the claim). Called after the
 * order's own transaction, so a crash in between leaves the unit unsold, never sold twice.
 */
export async function returnLapsedWin(env: Env, order: Pick<OrderRow, "id" | "source" | "campaign_id" | "idempotency_key">): Promise<void> {
  if (!order.campaign_id || !order.source.startsWith("flash:") || !order.idempotency_key.startsWith(CLAIM_KEY)) return;
  const claimId = order.idempotency_key.slice(CLAIM_KEY.length);
  try {
    const hit = await publicCampaign(env, order.campaign_id);
    if (!hit) return;
    for (let s = 0; s < hit.campaign.shards; s++) {
      if (await shardOf(env, hit.campaign.id, s).lapseClaim(hit.campaign.id, s, claimId)) return;
    }
  } catch (e) {
    console.error(JSON.stringify({ at: "return_lapsed_win", orderId: order.id, error: e instanceof Error ? e.message : String(e) }));
  }
}
