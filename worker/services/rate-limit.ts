import { ApiError } from "../errors";

export interface RateLimit {
  bucket: string;
  limit: number;
  windowS: number;
}

// Every bucket of one key (a client IP, a sharer) lives in the same limiter, so one call can count several of them.
const SHARDS = 128;

function shardOf(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return (h >>> 0) % SHARDS;
}

/** Counts a hit for `key` in `bucket`; throws a 429 with Retry-After when over the limit. */
export function enforceRateLimit(env: Env, bucket: string, key: string, limit: number, windowS: number) {
  return enforceRateLimits(env, key, [{ bucket, limit, windowS }]);
}

/**
 * Counts one hit for `key` against each limit, in one round trip to its limiter; a 429 (the longest Retry-After) when
 * any is over, and then none of them is counted.
 */
export async function enforceRateLimits(env: Env, key: string, limits: RateLimit[]) {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`rl:${shardOf(key)}`));
  const decision = await stub.hits(limits.map((l) => ({ key: `${l.bucket}:${key}`, limit: l.limit, windowS: l.windowS })));
  if (!decision.allowed) {
    const bucket = limits[decision.refusedBy ?? 0]!.bucket;
    throw ApiError.tooManyRequests(decision.retryAfterS, `Too many requests for ${bucket}; retry in ${decision.retryAfterS}s`);
  }
  return decision;
}
