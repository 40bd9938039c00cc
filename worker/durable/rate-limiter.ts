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
      const retryAfterS = Math.max(1, Math.ceil(waitMs(c.w, c.limit, now) / 1000));
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

/**
 * How long until one more hit fits under the estimate (the previous window's count, weighted by the share of it the
 * sliding window still covers, plus this window's). Not the end of this window: a full window still weighs on the
 * next one, and an hour-long window's end can be seconds away while the estimate stays over the limit.
 */
function waitMs(w: { start: number; windowMs: number; prev: number; count: number }, limit: number, now: number): number {
  const room = limit - 1;
  // This window's own count fits: the previous window's weight has to fall to what is left, prev·(1 − x) ≤ room − count.
  if (w.count <= room) return w.start + (1 - (room - w.count) / w.prev) * w.windowMs - now;
  // This window is over the limit by itself: in the next one its count is the previous, count·(1 − x) ≤ room.
  return w.start + w.windowMs + (1 - room / w.count) * w.windowMs - now;
}
