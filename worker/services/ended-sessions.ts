/**
 * Sessions an erasure ended, for the hot claim path: it verifies a token's HMAC only, so instead of reading the buyer
 * (as liveClaimant does off that path) it looks the token's buyer up in the tenant's set of ended ids, loaded with one
 * query and cached per isolate for BLOCK_CACHE_MS (as block lists are). An erasure requested through this isolate
 * applies here at once, elsewhere within that time. The per-claim cost is a Map and a Set lookup.
 */
import { endedSessionIds } from "../db/privacy";
import { ApiError } from "../errors";
import { BLOCK_CACHE_MS } from "./blocklist";
import { tenantCache } from "./tenant-cache";

const ended = tenantCache(BLOCK_CACHE_MS, async (env, tenantId) => new Set(await endedSessionIds(env.DB, tenantId, new Date().toISOString())));

/** Whether an erasure ended this buyer's sessions (synchronous once the tenant's set is loaded). */
export function sessionEnded(env: Env, tenantId: string, buyerId: string): boolean | Promise<boolean> {
  const ids = ended.peek(env, tenantId);
  return "value" in ids ? ids.value.has(buyerId) : ids.then((set) => set.has(buyerId));
}

/** Forget the tenant's cached set (this isolate just recorded an erasure). */
export const invalidateEndedSessions = (tenantId: string) => ended.invalidate(tenantId);

/** The answer to a token of an erased (or vanished) buyer, on every claim route. */
export const sessionEndedError = () => ApiError.unauthorized("This session has ended; start a new one (POST /public/campaigns/{id}/session)");
