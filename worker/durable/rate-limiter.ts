import { DurableObject } from "cloudflare:workers";

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterS: number;
}

/**
 * Sliding-window counter per key (IP, device, account...). Limits are soft state: kept in memory, so an
 * eviction forgets recent hits, which errs towards letting a visitor in rather than locking them out.
 */
export class RateLimiter extends DurableObject<Env> {
  private windows = new Map<string, { start: number; prev: number; count: number }>();

  async hit(key: string, limit: number, windowS: number, cost = 1): Promise<RateDecision> {
    const now = Date.now();
    const windowMs = windowS * 1000;
    const start = now - (now % windowMs);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      const prev = w && w.start === start - windowMs ? w.count : 0;
      w = { start, prev, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.prune(start - windowMs);
    }
    const weight = 1 - (now - start) / windowMs;
    const estimated = w.prev * weight + w.count;
    if (estimated + cost > limit) {
      const retryAfterS = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
      return { allowed: false, remaining: 0, retryAfterS };
    }
    w.count += cost;
    return { allowed: true, remaining: Math.max(0, Math.floor(limit - estimated - cost)), retryAfterS: 0 };
  }

  async ping(): Promise<string> {
    return "pong";
  }

  private prune(before: number) {
    for (const [k, w] of this.windows) if (w.start < before) this.windows.delete(k);
  }
}
