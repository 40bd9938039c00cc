/**
 * A per-isolate, per-tenant cache of something the hot claim path must consult without a D1 read per request
 * (block lists, sessions an erasure ended, whether member tiers give extra lottery chances). An entry lives `ttlMs`;
 * a change made through this isolate invalidates it at once, other isolates see it within that time. A failed load
 * is forgotten, so the next request tries again. `peek` answers synchronously once the value has loaded.
 */
export interface TenantCache<T> {
  get(env: Env, tenantId: string): Promise<T>;
  peek(env: Env, tenantId: string): { value: T } | Promise<T>;
  invalidate(tenantId: string | null): void;
}

const MAX_TENANTS = 5_000;
/** How long the claim path may act on a cached answer of another isolate's change. */
export const HOT_CACHE_MS = 10_000;

export function tenantCache<T>(ttlMs: number, load: (env: Env, tenantId: string) => Promise<T>): TenantCache<T> {
  const cache = new Map<string, { at: number; value: Promise<T>; loaded?: { value: T } }>();
  function entry(env: Env, tenantId: string) {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < ttlMs) return hit;
    const fresh: { at: number; value: Promise<T>; loaded?: { value: T } } = { at: Date.now(), value: load(env, tenantId) };
    fresh.value.then((value) => (fresh.loaded = { value }), () => cache.get(tenantId) === fresh && cache.delete(tenantId));
    cache.set(tenantId, fresh);
    if (cache.size > MAX_TENANTS) for (const [k, v] of cache) if (Date.now() - v.at >= ttlMs) cache.delete(k);
    return fresh;
  }
  return {
    get: (env, tenantId) => entry(env, tenantId).value,
    peek: (env, tenantId) => {
      const e = entry(env, tenantId);
      return e.loaded ?? e.value;
    },
    invalidate: (tenantId) => (tenantId ? cache.delete(tenantId) : cache.clear(), undefined),
  };
}
