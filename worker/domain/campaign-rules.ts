import type { CampaignDefinition, CampaignPhase, UpdateCampaignInput } from "../../schema/campaigns";
import { ALWAYS_EDITABLE } from "../../schema/campaigns";

/** Stock key of flash sales and coupon claims, which have one item rather than prizes. */
export const ITEM = "item";

/** A user's home shard: all their limits live in one object, so they are exact without coordination. */
export function homeShard(userId: string, shards: number): number {
  let h = 2166136261;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 16777619);
  return (h >>> 0) % shards;
}

export function phaseAt(def: Pick<CampaignDefinition, "startsAt" | "endsAt">, nowMs: number): CampaignPhase {
  if (nowMs < Date.parse(def.startsAt)) return "scheduled";
  return nowMs < Date.parse(def.endsAt) ? "live" : "ended";
}

/** Total stock per key: the item for flash/coupon, each prize for a lottery. */
export function stockTotals(def: Pick<CampaignDefinition, "kind" | "stock" | "prizes">): Record<string, number> {
  if (def.kind === "lottery") return Object.fromEntries(def.prizes.map((p) => [p.id, p.stock]));
  return { [ITEM]: def.stock };
}

export function publishedOdds(def: Pick<CampaignDefinition, "kind" | "prizes" | "noPrizeWeight">) {
  if (def.kind !== "lottery") return [];
  const total = def.prizes.reduce((s, p) => s + p.weight, def.noPrizeWeight);
  const odds = def.prizes.map((p) => ({ prizeId: p.id as string | null, name: p.name, probability: total ? p.weight / total : 0 }));
  odds.push({ prizeId: null, name: "未中奖", probability: total ? def.noPrizeWeight / total : 1 });
  return odds;
}

/** Fields of a patch that would change a started campaign's odds, stock, limits or timing. */
export function lockedFieldsIn(patch: UpdateCampaignInput): string[] {
  return Object.keys(patch).filter((k) => !(ALWAYS_EDITABLE as readonly string[]).includes(k) && patch[k as keyof UpdateCampaignInput] !== undefined);
}

/**
 * Initial stock per shard: a quarter of the stock is spread evenly, the rest stays with the coordinator and is
 * handed out in chunks as shards drain, so a busy shard is never starved by idle ones.
 */
export function grantChunk(total: number, shards: number): number {
  return Math.max(1, Math.ceil(total / (shards * 4)));
}

/** Hot-path limits per campaign shard: [limit, window ms]. A NATed campus shares an IP, hence the larger budget. */
export const CLAIM_RATE_LIMITS = {
  account: [10, 10_000],
  device: [20, 10_000],
  ip: [200, 10_000],
} as const satisfies Record<string, readonly [number, number]>;
