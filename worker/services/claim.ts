import type { ClaimInput, ClaimResult } from "../../schema/campaigns";
import { ApiError } from "../errors";
import { claimOnShard, isSoldOut, markSoldOut, publicCampaign } from "./campaigns";

export interface ClaimMeta {
  deviceId: string | null;
  ip: string | null;
}

/** One claim or draw: the campaign from the isolate cache, the user's home shard, the shard's answer as 200 or an ApiError. */
export async function claim(env: Env, campaignId: string, input: ClaimInput, meta: ClaimMeta): Promise<ClaimResult> {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const campaign = hit.campaign;
  if (isSoldOut(campaign.id)) throw ApiError.conflict("sold_out", "Sold out");
  const reply = await claimOnShard(env, campaign, {
    userId: input.userId,
    referrerId: input.referrerId ?? null,
    requestId: input.requestId ?? null,
    deviceId: meta.deviceId,
    ip: meta.ip,
  });
  if (reply.ok) return reply.result;
  if (reply.code === "rate_limited") throw ApiError.tooManyRequests(reply.retryAfterS ?? 1, reply.message);
  if (reply.soldOut) markSoldOut(campaign.id);
  throw ApiError.conflict(reply.code, reply.message);
}
