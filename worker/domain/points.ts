/** Points ledger rules (issue 17), pure: local days, streaks, rewards, lot consumption, liability. */

export interface StreakReward {
  day: number;
  points: number;
}

export interface Lot {
  id: string;
  remaining: number;
  expiresAt: string;
}


/** The calendar day before `day` (YYYY-MM-DD). */
export function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Today's streak: one more than the last check-in's when that was yesterday, else a fresh start at 1. */
export function nextStreak(today: string, last: { day: string; streak: number } | null): number {
  return last && last.day === previousDay(today) ? last.streak + 1 : 1;
}

/** Points for a check-in on streak day `streak`: the base plus every bonus for exactly that day. */
export function checkInPoints(streak: number, base: number, rewards: StreakReward[]): number {
  return base + rewards.filter((r) => r.day === streak).reduce((s, r) => s + r.points, 0);
}

/** Points earned for a paid amount: whole points, rounded down. */
export function pointsForAmount(amountCents: number, perYuan: number): number {
  return Math.floor((Math.max(0, amountCents) * perYuan) / 100);
}

/**
 * Which lots a spend of `amount` takes from: the soonest-expiring first (ties by id), each up to what it has left.
 * The ledger does the same in one SQL statement (db/points.ts consumeLotsStmts); this is its specification.
 * Throws when the lots do not cover the amount (the balance guard refuses such a spend before it gets here).
 */
export function consumeOldestFirst(lots: Lot[], amount: number): { lotId: string; points: number }[] {
  const ordered = lots.filter((l) => l.remaining > 0).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id));
  const uses: { lotId: string; points: number }[] = [];
  let left = amount;
  for (const lot of ordered) {
    if (left <= 0) break;
    const take = Math.min(lot.remaining, left);
    uses.push({ lotId: lot.id, points: take });
    left -= take;
  }
  if (left > 0) throw new Error(`lots short by ${left} points`);
  return uses;
}

/**
 * Reversal of points earned from a refunded source: what is left of the lot goes back; what was already spent is not
 * clawed back from other lots (the balance never goes below zero) and is recorded as the shortfall.
 */
export function reversalOf(lot: { points: number; remaining: number }): { points: number; shortfall: number } {
  return { points: lot.remaining, shortfall: lot.points - lot.remaining };
}

/** Money value of outstanding points, in fen, at the tenant's rule (fen per 100 points), rounded to the fen. */
export function liabilityCents(outstanding: number, centsPer100: number): number {
  return Math.round((outstanding * centsPer100) / 100);
}

/** The instant `months` calendar months after `from` (clamped to the month's last day, like SQLite's modifier is not). */
export function addMonths(from: Date, months: number): Date {
  const d = new Date(from.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** Lots due a reminder at `now`: unreminded, with points left, expiring within `days` and not yet expired. */
export function dueForReminder(lot: { remaining: number; expiresAt: string; remindedAt: string | null }, now: Date, days: number): boolean {
  const t = Date.parse(lot.expiresAt);
  return lot.remaining > 0 && !lot.remindedAt && t > now.getTime() && t - now.getTime() <= days * 86_400_000;
}
