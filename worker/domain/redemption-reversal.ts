// 撤销核销: whether a redemption may still be undone. Pure: the service loads the row and applies the verdict.

/** How long after a redemption the store may undo it. */
export const REVERSAL_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Until when a live redemption may be undone; null for a failed attempt or one already undone. */
export function reversibleUntil(r: { outcome: string; created_at: string; reversed_at?: string | null }): string | null {
  if (r.outcome !== "succeeded" || r.reversed_at) return null;
  return new Date(Date.parse(r.created_at) + REVERSAL_WINDOW_MS).toISOString();
}

/** The earliest redemption time still inside the window at `now` (the guard of the reversal's UPDATE). */
export const windowStart = (now: Date) => new Date(now.getTime() - REVERSAL_WINDOW_MS).toISOString();

/** A voucher whose validity ended while it was redeemed stays unusable: it goes back as expired, not issued. */
export const statusAfterReversal = (validTo: string | null, now: Date): "issued" | "expired" =>
  validTo !== null && now.getTime() > Date.parse(validTo) ? "expired" : "issued";
