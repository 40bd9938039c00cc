import { ApiError } from "../errors";

const SHARDS = 64;

function shardOf(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return (h >>> 0) % SHARDS;
}

/** Counts a hit for `key` in `bucket`; throws a 429 with Retry-After when over the limit. */
export async function enforceRateLimit(env: Env, bucket: string, key: string, limit: number, windowS: number) {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${bucket}:${shardOf(key)}`));
  const decision = await stub.hit(`${bucket}:${key}`, limit, windowS);
  if (!decision.allowed) {
    throw ApiError.tooManyRequests(decision.retryAfterS, `Too many requests for ${bucket}; retry in ${decision.retryAfterS}s`);
  }
  return decision;
}
