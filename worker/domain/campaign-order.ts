/**
 * The order a storefront lists a brand's campaigns in: what a visitor can join now first (ending soonest first), then
 * running ones that are paused or sold out, then what starts next (soonest first), then what is over (latest end
 * first). The console keeps its own order (newest start first).
 */
export interface Orderable {
  phase: string; // scheduled | live | ended
  startsAt: string;
  endsAt: string;
  paused?: boolean;
  soldOut?: boolean;
}

function rank(c: Orderable): number {
  if (c.phase === "live") return c.paused || c.soldOut ? 1 : 0;
  return c.phase === "scheduled" ? 2 : 3;
}

function key(c: Orderable): number {
  if (c.phase === "scheduled") return Date.parse(c.startsAt);
  if (c.phase === "ended") return -Date.parse(c.endsAt);
  return Date.parse(c.endsAt);
}

export function storefrontOrder<T extends Orderable>(campaigns: readonly T[]): T[] {
  return [...campaigns].sort((a, b) => rank(a) - rank(b) || key(a) - key(b));
}
