import type { CampaignDefinition } from "../../schema/campaigns";

/** What a shard needs to run a campaign; handed out by the coordinator once the campaign has started. */
export interface ShardConfig {
  campaignId: string;
  tenantId: string;
  def: CampaignDefinition;
  /** Lottery seed (secret until the end); null for flash sales and coupons. */
  seed: string | null;
  /** Paused by an operator when the shard fetched its config (later changes arrive through setPaused). */
  paused?: boolean;
}

export type Stock = Record<string, number>;

export interface Grant {
  granted: Stock;
  /** Keys with no stock left anywhere: the shard stops asking for them. */
  exhausted: string[];
}

/** One claim or draw as the worker hands it to a user's home shard. */
export interface ClaimRequest {
  userId: string;
  referrerId?: string | null;
  deviceId?: string | null;
  ip?: string | null;
  requestId?: string | null;
  /** The embedding page's origin (widget), for attribution. */
  origin?: string | null;
  /** The verified phone account (its buyer id) when the session carries a verified phone: the per-phone limit's key. */
  phone?: string | null;
  /** Extra lottery chances of the buyer's member tier (services/membership.ts memberLotteryBonus), computed by the worker. */
  bonusChances?: number;
}

export type ClaimRejection =
  | "not_started"
  | "ended"
  | "sold_out"
  | "limit_reached"
  | "daily_limit_reached"
  | "no_chances"
  | "rate_limited"
  | "campaign_paused"
  | "ip_limit_reached"
  | "device_limit_reached"
  | "phone_limit_reached";

export type ShardReply =
  | { ok: true; result: import("../../schema/campaigns").ClaimResult }
  | { ok: false; code: ClaimRejection; message: string; retryAfterS?: number; soldOut?: boolean };

export const shardName = (campaignId: string, shard: number) => `${campaignId}:${shard}`;
