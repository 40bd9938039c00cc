/**
 * Sessions an erasure ended, for the hot claim path: it verifies a token's HMAC only, so instead of reading the buyer
 * (as liveClaimant does off that path) it looks the token's buyer up in the tenant's set of ended ids, loaded with one
 * query and cached per isolate for BLOCK_CACHE_MS (as block lists are). An erasure requested through this isolate
 * applies here at once, elsewhere within that time. The per-claim cost is a Map and a Set lookup.
 */
import { endedSessionIds } from "../db/privacy";
import { ApiError } from "../errors";
import { BLOCK_CACHE_MS } from "./blocklist";

const cache = new Map<string, { at: number; ids: Promise<Set<string>>; loaded?: Set<string> }>();

function idsFor(env: Env, tenantId: string) {
  const hit = cache.get(tenantId);
  if (hit && Date.now() - hit.at < BLOCK_CACHE_MS) return hit;
  const entry: { at: number; ids: Promise<Set<string>>; loaded?: Set<string> } = {
    at: Date.now(),
    ids: endedSessionIds(env.DB, tenantId, new Date().toISOString()).then((ids) => (entry.loaded = new Set(ids))),
  };
  cache.set(tenantId, entry);
  entry.ids.catch(() => cache.get(tenantId) === entry && cache.delete(tenantId));
  if (cache.size > 5_000) for (const [k, v] of cache) if (Date.now() - v.at >= BLOCK_CACHE_MS) cache.delete(k);
  return entry;
}

/** Whether an erasure ended this buyer's sessions (synchronous once the tenant's set is loaded). */
export function sessionEnded(env: Env, tenantId: string, buyerId: string): boolean | Promise<boolean> {
  const entry = idsFor(env, tenantId);
  return entry.loaded ? entry.loaded.has(buyerId) : entry.ids.then((ids) => ids.has(buyerId));
}

/** Forget the tenant's cached set (this isolate just recorded an erasure). */
export function invalidateEndedSessions(tenantId: string) {
  cache.delete(tenantId);
}

/** The answer to a token of an erased (or vanished) buyer, on every claim route. */
export const sessionEndedError = () => ApiError.unauthorized("This session has ended; start a new one (POST /public/campaigns/{id}/session)");
