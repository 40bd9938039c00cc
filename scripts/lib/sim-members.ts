/**
 * Simulated membership history for the demo dashboard's 会员 section: a pure function from a seeded random source
 * to events of the issue-17 types (schema/events.ts), imported by the demo seed through POST /events/import (every
 * imported event is marked simulated, so the dashboard shows its 模拟数据 badge). Members sign up, join (most the same
 * day), come back more often than non-members, check in on streaks, pay for orders that earn points (1 per yuan),
 * spend points in the mall, have some reversed by refunds and some expire, climb tiers on growth, and some buy a
 * monthly paid card (黑卡) that renews or lapses. Tier ids are the brand's own where `tierIds` names them (the demo
 * seeds that ladder), else their display names; the paid card's tier has no row.
 */
import type { SimEvent } from "./sim-journeys";
import { productOf, rng } from "./sim-journeys";

const DAY = 86_400_000;
/** Earned tiers by growth (1 per yuan paid) and the paid card's tier. */
export const SIM_TIERS = [
  { id: "普通会员", rank: 0, growth: 0 },
  { id: "银卡会员", rank: 1, growth: 150 },
  { id: "金卡会员", rank: 2, growth: 500 },
] as const;
export const SIM_PAID_TIER = "黑卡会员";

export function simulateMembers(
  opts: { seed: number; members: number; nonMembers: number; start: number; end: number; runId: string; tierIds?: Record<string, string>; productIds?: string[] },
): SimEvent[] {
  const rand = rng(opts.seed);
  const tierId = (name: string) => opts.tierIds?.[name] ?? name;
  const events: SimEvent[] = [];
  let n = 0;
  const id = (kind: string) => `sim-${opts.runId}-${kind}${n}`;
  const emit = (type: SimEvent["type"], at: number, userId: string, payload: SimEvent["payload"] = {}) => {
    if (at < opts.end) events.push({ eventId: `sim-${opts.runId}-${n++}`, type, occurredAt: new Date(at).toISOString(), actor: { userId }, payload });
  };
  const iso = (t: number) => new Date(t).toISOString();
  for (let i = 0; i < opts.members + opts.nonMembers; i++) {
    const isMember = i < opts.members;
    const userId = `sim-${opts.runId}-b${i}`;
    const memberId = `sim-${opts.runId}-m${i}`;
    const signupAt = opts.start + rand() * (opts.end - opts.start) * 0.85;
    emit("user_signed_up", signupAt, userId);
    emit("page_view", signupAt + 30_000, userId, { path: "/shop/" });
    const joinAt = signupAt + (rand() < 0.7 ? 120_000 : (1 + rand() * 10) * DAY);
    let joined = false;
    let tier = 0;
    let growth = 0;
    let balance = 0;
    let streak = 0;
    let lastCheckIn = -2;
    let card: { id: string; until: number } | null = null;
    let pReturn = isMember ? 0.55 + rand() * 0.35 : 0.3 + rand() * 0.3;
    const firstDay = Math.floor(signupAt / DAY);
    for (let d = firstDay; d * DAY < opts.end; d++) {
      const dayStart = d * DAY;
      if (!joined && isMember && joinAt < dayStart + DAY) {
        emit("member_joined", Math.max(joinAt, dayStart), userId, { memberId, tierId: tierId(SIM_TIERS[0].id), via: rand() < 0.8 ? "phone" : "member_token" });
        joined = true;
      }
      // A paid card falls due: renewed the day before, or lapsed the day after.
      if (card && card.until < dayStart + DAY && card.until >= dayStart) {
        if (rand() < 0.6) {
          const until: number = card.until + 30 * DAY;
          emit("paid_card_changed", card.until - DAY, userId, { memberId, cardId: card.id, kind: "renewed", tierId: SIM_PAID_TIER, validUntil: iso(until), orderId: id("o") });
          card = { id: card.id, until };
        } else {
          emit("paid_card_changed", card.until + 3_600_000, userId, { memberId, cardId: card.id, kind: "lapsed", tierId: SIM_PAID_TIER });
          card = null;
        }
      }
      if (d > firstDay) {
        pReturn *= isMember ? 0.985 : 0.95;
        if (rand() > pReturn) continue;
      }
      let t = dayStart + (d === firstDay ? signupAt - dayStart + 300_000 : (8 + rand() * 12) * 3_600_000);
      const step = () => (t += 60_000 + rand() * 900_000);
      emit("page_view", step(), userId, { path: "/shop/" });
      if (!joined) continue;
      if (rand() < 0.75) {
        streak = lastCheckIn === d - 1 ? streak + 1 : 1;
        lastCheckIn = d;
        const pts = streak % 7 === 0 ? 20 : 5;
        emit("member_checked_in", step(), userId, { memberId, day: iso(dayStart).slice(0, 10), streak, points: pts });
        balance += pts;
        emit("points_earned", t + 1, userId, { memberId, points: pts, balance, sourceKind: "check_in", sourceId: id("ci") });
      }
      if (rand() < 0.18) {
        const amountCents = [1990, 4990, 9900, 19900][Math.floor(rand() * 4)]!;
        const orderId = id("o");
        const product = productOf(opts.productIds, n);
        emit("order_paid", step(), userId, { orderId, amountCents, ...product });
        const pts = Math.floor(amountCents / 100);
        balance += pts;
        growth += pts;
        emit("points_earned", t + 1, userId, { memberId, points: pts, balance, sourceKind: "order", sourceId: orderId, orderId });
        const next = SIM_TIERS[tier + 1];
        if (next && growth >= next.growth) {
          emit("member_tier_changed", t + 2, userId, { memberId, fromTierId: tierId(SIM_TIERS[tier]!.id), toTierId: tierId(next.id), fromRank: tier, toRank: next.rank, direction: "up", reason: "growth" });
          tier++;
        }
        if (rand() < 0.06 && balance >= pts) {
          emit("order_refunded", step(), userId, { orderId, amountCents, ...product });
          balance -= pts;
          emit("points_reversed", t + 1, userId, { memberId, points: -pts, balance, sourceKind: "order", sourceId: orderId, orderId });
        }
      }
      if (balance >= 200 && rand() < 0.2) {
        const pts = 100 * Math.floor(1 + rand() * Math.min(3, balance / 100 - 1));
        balance -= pts;
        emit("points_spent", step(), userId, { memberId, points: -pts, balance, sourceKind: "mall", sourceId: id("x") });
      }
      if (balance >= 50 && rand() < 0.02) {
        const pts = Math.floor(balance / 4);
        balance -= pts;
        emit("points_expired", step(), userId, { memberId, points: -pts, balance, sourceKind: "expiry", sourceId: id("e") });
      }
      if (!card && rand() < 0.04) {
        card = { id: id("card"), until: t + 30 * DAY };
        emit("paid_card_changed", step(), userId, { memberId, cardId: card.id, kind: "purchased", tierId: SIM_PAID_TIER, validUntil: iso(card.until), orderId: id("o") });
      }
    }
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}
