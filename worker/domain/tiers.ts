/** Pure tier logic (issue 17): which tier a growth value reaches, progress to the next, yearly review decisions. */
import { TierPrivileges, type Tier } from "../../schema/members";

export const NO_PRIVILEGES: TierPrivileges = TierPrivileges.parse({});

/** The best tier whose threshold the growth reaches (tiers in any order); null when none does. */
export function tierForGrowth(tiers: Tier[], growth: number): Tier | null {
  let best: Tier | null = null;
  for (const t of tiers) if (t.growthThreshold <= growth && (!best || t.rank > best.rank)) best = t;
  return best;
}

/**
 * The next tier above `current` (the earned tier, by rank) and how far the growth is from it; null at the top.
 * `inForce` is the tier the member holds now (a valid paid card may rank above the earned tier): the next tier is
 * then the first above it too, so a PLUS card holder is never shown progress toward a tier below PLUS. The progress
 * still runs from the earned tier's threshold, since growth is what reaches the next tier.
 */
export function progressToNext(tiers: Tier[], current: Tier | null, growth: number, inForce: Tier | null = current) {
  const floor = Math.max(current?.rank ?? -1, inForce?.rank ?? -1);
  const above = tiers.filter((t) => t.rank > floor).sort((a, b) => a.rank - b.rank)[0];
  if (!above) return null;
  const from = current?.growthThreshold ?? 0;
  const span = Math.max(1, above.growthThreshold - from);
  const progressPercent = Math.max(0, Math.min(100, Math.floor(((growth - from) / span) * 100)));
  return { id: above.id, name: above.name, growthThreshold: above.growthThreshold, growthNeeded: Math.max(0, above.growthThreshold - growth), progressPercent, privileges: above.privileges };
}

/** The paid card's tier while valid (until strictly after now). */
export const paidCardValid = (paidUntil: string | null, now: Date) => !!paidUntil && Date.parse(paidUntil) > now.getTime();

/** The tier in force: the better of the earned tier and a valid paid card's tier. */
export function effectiveTier(tiers: Tier[], earnedId: string | null, paidId: string | null, paidUntil: string | null, now: Date): Tier | null {
  const earned = tiers.find((t) => t.id === earnedId) ?? null;
  const paid = paidCardValid(paidUntil, now) ? (tiers.find((t) => t.id === paidId) ?? null) : null;
  if (!paid) return earned;
  if (!earned) return paid;
  return paid.rank > earned.rank ? paid : earned;
}

/** Growth for a paid amount: floor(yuan × rate). */
export const growthForCents = (cents: number, perYuan: number) => Math.max(0, Math.floor((cents / 100) * perYuan));

/** A shop price after a tier's percent off (rounded to the fen, never below 0). */
export const memberPrice = (cents: number, percentOff: number) => Math.max(0, Math.round((cents * (100 - percentOff)) / 100));

/** YYYY-MM of an instant (UTC), the period key of monthly benefits. */
export const monthKey = (now: Date) => now.toISOString().slice(0, 7);

/** The end of the period a benefit belongs to: a month (monthKey), a year (YYYY), or the paid term's end. */
export function periodEnd(period: string, termEnd?: string) {
  if (termEnd) return termEnd;
  if (/^\d{4}$/.test(period)) return `${Number(period) + 1}-01-01T00:00:00.000Z`;
  const [y, m] = period.split("-").map(Number);
  return new Date(Date.UTC(y!, m!, 1)).toISOString();
}

/** Whether a MM-DD birthday falls in the month of `now` (UTC). */
export const inBirthdayMonth = (birthday: string | null, now: Date) => !!birthday && birthday.slice(0, 2) === now.toISOString().slice(5, 7);

const YEAR_MS = 365 * 86_400_000;

/** Membership years completed since joining (the yearly review of year N runs once N ≥ 1). */
export const reviewCycle = (joinedAt: string, now: Date) => Math.floor((now.getTime() - Date.parse(joinedAt)) / YEAR_MS);

/** Start of the review window: growth earned in the last 12 months counts at a review. */
export const reviewWindowStart = (now: Date) => new Date(now.getTime() - YEAR_MS).toISOString();

export type ReviewStep =
  | { kind: "keep" }
  | { kind: "grace"; target: Tier | null; graceUntil: string }
  | { kind: "down"; target: Tier | null };

/**
 * One step of the yearly review: the tier the last 12 months' growth reaches (`target`) against the earned tier.
 * Not lower: kept. Lower and no notice yet: grace notice (downgrade due after graceDays). Lower after the grace
 * period: down. Within the grace period nothing happens (null).
 */
export function reviewStep(
  tiers: Tier[], currentId: string | null, yearGrowth: number, state: { state: string; graceUntil: string | null } | null, graceDays: number, now: Date,
): ReviewStep | null {
  const current = tiers.find((t) => t.id === currentId) ?? null;
  const target = tierForGrowth(tiers, yearGrowth);
  const lower = (target?.rank ?? -1) < (current?.rank ?? -1);
  if (!state) return lower ? { kind: "grace", target, graceUntil: new Date(now.getTime() + graceDays * 86_400_000).toISOString() } : { kind: "keep" };
  if (state.state !== "grace") return null;
  if (state.graceUntil && Date.parse(state.graceUntil) > now.getTime()) return null;
  return lower ? { kind: "down", target } : { kind: "keep" };
}

/** A card number: 12 digits from random bytes (unique per brand by the table's constraint; retried on a clash). */
export function cardNumber(bytes: Uint8Array = crypto.getRandomValues(new Uint8Array(8))): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return (n % 10n ** 12n).toString().padStart(12, "0");
}
