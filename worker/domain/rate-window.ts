/**
 * Per-key counters over a window that opens at the key's first hit (per IP, device, account). Soft state: kept
 * in memory, so an eviction forgets recent hits — it errs towards letting a visitor in, never towards overselling.
 */
export class WindowCounter {
  private windows = new Map<string, { start: number; count: number }>();

  /** Counts a hit; returns 0 when allowed, else whole seconds until the key's window closes. */
  hit(key: string, limit: number, windowMs: number, now: number): number {
    let w = this.windows.get(key);
    if (!w || now - w.start >= windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 50_000) this.prune(now, windowMs);
    }
    if (w.count >= limit) return Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
    w.count++;
    return 0;
  }

  private prune(now: number, windowMs: number) {
    for (const [k, w] of this.windows) if (now - w.start >= windowMs) this.windows.delete(k);
  }
}
