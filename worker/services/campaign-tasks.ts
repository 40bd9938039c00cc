/**
 * Campaign tasks (share, follow…): a completion is the user's shard's change — its count and extra chances — and
 * campaign_task_completed is recorded in the shard's own storage transaction with it (worker/durable/campaign-outbox.ts).
 */
import type { TaskResult } from "../../schema/campaigns";
import { homeShard } from "../domain/campaign-rules";
import { ApiError } from "../errors";
import { deviceOf, liveClaimant, type ClaimMeta } from "./claim";
import { publicCampaign, shardOf } from "./campaigns";

/** 404 for an unknown campaign or task, 409 not_started / ended; past the task's daily limit it counts nothing. */
export async function completeTask(env: Env, campaignId: string, taskId: string, input: { userId?: string }, meta: ClaimMeta): Promise<TaskResult> {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const campaign = hit.campaign;
  const userId = await liveClaimant(env, hit, input, meta);
  const deviceId = await deviceOf(env, hit, meta);
  const shard = homeShard(userId, campaign.shards);
  const res = await shardOf(env, campaign.id, shard).completeTask(campaign.id, shard, userId, taskId, deviceId);
  if ("error" in res) {
    if (res.error === "unknown_task") throw ApiError.notFound("Task");
    throw ApiError.conflict(res.error, res.error === "not_started" ? "The campaign has not started" : "The campaign has ended");
  }
  return res;
}
