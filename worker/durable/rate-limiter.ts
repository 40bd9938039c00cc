import { DurableObject } from "cloudflare:workers";

export interface RateHit {
  key: string;
  limit: number;
  windowS: number;
}

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterS: number;
  /** Which of the limits asked refused (the one to wait longest for). */
  refusedBy?: number;
}

/**
 * Sliding-window counter per key (IP, device, account...). Limits are soft state: kept in memory, so an
 * eviction forgets recent hits, which errs towards letting a visitor in rather than locking them out.
 */
export class RateLimiter extends DurableObject<Env> {
  private windows = new Map<string, { start: number; windowMs: number; prev: number; count: number }>();
  private prunedAt = 0;

  /** Several limits at once (one client's hit on each): counted on all only when every one allows it. */
  async hits(limits: RateHit[]): Promise<RateDecision> {
    const now = Date.now();
    const checked = limits.map((l) => ({ ...l, ...this.windowOf(l.key, l.windowS * 1000, now) }));
    let refused: RateDecision | undefined;
    checked.forEach((c, i) => {
      if (c.estimated + 1 <= c.limit) return;
      const retryAfterS = Math.max(1, Math.ceil((c.w.start + c.windowMs - now) / 1000));
      if (!refused || retryAfterS > refused.retryAfterS) refused = { allowed: false, remaining: 0, retryAfterS, refusedBy: i };
    });
    if (refused) return refused;
    for (const c of checked) c.w.count += 1;
    return { allowed: true, remaining: Math.min(...checked.map((c) => Math.max(0, Math.floor(c.limit - c.estimated - 1)))), retryAfterS: 0 };
  }

  private windowOf(key: string, windowMs: number, now: number) {
    const start = now - (now % windowMs);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      if (!w && this.windows.size >= 10_000 && now - this.prunedAt > 1000) this.prune(now);
      const prev = w && w.start === start - windowMs ? w.count : 0;
      w = { start, windowMs, prev, count: 0 };
      this.windows.set(key, w);
    }
    return { w, windowMs, estimated: w.prev * (1 - (now - start) / windowMs) + w.count };
  }

  async ping(): Promise<string> {
    return "pong";
  }

  /** Forgets the windows that no longer weigh on an estimate (their own and the previous one are over). */
  private prune(now: number) {
    this.prunedAt = now;
    for (const [k, w] of this.windows) if (w.start + 2 * w.windowMs <= now) this.windows.delete(k);
  }
}
