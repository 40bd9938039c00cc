/**
 * The points ledger (issue 17): earn, spend, reverse, expire and adjust, each one movement recorded with the balance
 * cache, its lot(s) and its points_* event in one D1 batch (db/points.ts). Exactly once per (member, kind, source).
 */
import type { PointsMovement, PointsRules } from "../../schema/points";
import type { EventType } from "../../schema/events";
import { newId } from "../domain/crypto";
import { addMonths, liabilityCents, type StreakReward } from "../domain/points";
import {
  applyToBalanceStmt, consumeLotsStmts, creditStmt, debitStmt, DEFAULT_RULES, earnForOrderStmts, earnForRedemptionStmts, expireLotStmts, expiringLots, getRules, insertLotStmt,
  liabilityTotals, movementById, movementBySource, movementExists, movementsPage, reverseEarnStmts, upsertRules,
  type LotRow, type MovementRow, type MovementSpec, type RulesRow,
} from "../db/points";
import { memberById } from "../db/members";
import type { SqlGuard } from "../db/statements";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";

const EVENT_OF: Record<MovementRow["kind"], EventType> = {
  earn: "points_earned", spend: "points_spent", reverse: "points_reversed", expire: "points_expired", adjust: "points_adjusted",
};

export async function rulesOf(env: Pick<Env, "DB">, tenantId: string): Promise<RulesRow> {
  return (await getRules(env.DB, tenantId)) ?? DEFAULT_RULES;
}

export function toRules(r: RulesRow): PointsRules {
  return {
    pointsPerYuan: r.points_per_yuan, pointsPerRedemption: r.points_per_redemption, expiryMonths: r.expiry_months, remindDays: r.remind_days,
    centsPer100Points: r.cents_per_100_points, checkInPoints: r.check_in_points, streakRewards: JSON.parse(r.streak_rewards) as StreakReward[],
  };
}

export async function setRules(env: Pick<Env, "DB">, tenantId: string, input: Partial<PointsRules>): Promise<PointsRules> {
  const next = { ...toRules(await rulesOf(env, tenantId)), ...input };
  await upsertRules(env.DB, tenantId, {
    points_per_yuan: next.pointsPerYuan, points_per_redemption: next.pointsPerRedemption, expiry_months: next.expiryMonths, remind_days: next.remindDays,
    cents_per_100_points: next.centsPer100Points, check_in_points: next.checkInPoints, streak_rewards: JSON.stringify(next.streakRewards),
  });
  return next;
}

export function toMovement(r: MovementRow): PointsMovement {
  return {
    id: r.id, kind: r.kind, points: r.points, balanceAfter: r.balance_after, sourceKind: r.source_kind, sourceId: r.source_id,
    orderId: r.order_id, reason: r.reason, shortfall: r.shortfall, createdAt: r.created_at,
  };
}

/** The movement's points_* event, written only if the movement was (its fields read from the movement row). */
export function movementEventRows(env: Pick<Env, "DB">, tenantId: string, kind: MovementRow["kind"], movementId: string, actor: { userId?: string | null; apiKeyId?: string | null } = {}) {
  const field = (col: string) => ({ sql: `SELECT ${col} FROM points_movements WHERE id = ?`, args: [movementId] });
  const computed = [
    { path: "$.payload.memberId" as const, ...field("member_id") },
    { path: "$.payload.points" as const, ...field("points") },
    { path: "$.payload.balance" as const, ...field("balance_after") },
    { path: "$.payload.sourceKind" as const, ...field("source_kind") },
    { path: "$.payload.sourceId" as const, ...field("source_id") },
    ...(kind === "adjust" ? [{ path: "$.payload.reason" as const, ...field("reason") }] : []),
    ...(kind === "earn" || kind === "spend" || kind === "reverse" ? [{ path: "$.payload.orderId" as const, ...field("order_id") }] : []),
  ];
  // Placeholders: every field is set from the movement row by the statement itself.
  const payload = { memberId: "-", points: 0, sourceKind: "-", sourceId: "-" };
  return eventRows(env, [{ eventId: `evpm_${movementId}`, tenantId, type: EVENT_OF[kind], actor, payload } as never], movementExists(movementId), computed);
}

export interface Movement extends Omit<MovementSpec, "id"> {
  points: number;
  /** Earned lots expire this much later (default: the tenant's rule). */
  expiresAt?: string;
  guard?: SqlGuard;
  buyerId?: string | null;
}

/**
 * The statements of one credit (points > 0: a lot is added) or debit (points < 0: lots consumed oldest-first, refused
 * by the balance guard when not covered). Put them in the batch of the change they belong to.
 */
export async function movementStmts(env: Pick<Env, "DB">, m: Movement): Promise<{ id: string; stmts: D1PreparedStatement[] }> {
  const db = env.DB;
  const id = newId("pm");
  const spec = { ...m, id };
  const stmts: D1PreparedStatement[] = [];
  if (m.points > 0) {
    const expiresAt = m.expiresAt ?? addMonths(new Date(), (await rulesOf(env, m.tenantId)).expiry_months).toISOString();
    stmts.push(creditStmt(db, spec, m.points, m.guard), applyToBalanceStmt(db, id), insertLotStmt(db, newId("pl"), id, expiresAt));
  } else {
    stmts.push(debitStmt(db, spec, -m.points, m.guard), applyToBalanceStmt(db, id), ...consumeLotsStmts(db, id));
  }
  stmts.push(...movementEventRows(env, m.tenantId, m.kind, id, { userId: m.buyerId ?? null, apiKeyId: m.actorKeyId ?? null }));
  return { id, stmts };
}

/**
 * A member's lots past their expiry, expired now rather than at the cron's next pass (services/points-expiry.ts does
 * the same for everyone, a page a minute): before a spend, so points past their date are never spent, and before a
 * balance is shown, so it never counts them. Once per lot whoever gets there first (the movement is keyed by the lot).
 * Returns how many lots this call expired.
 */
export async function expireDueOfMember(env: Pick<Env, "DB">, tenantId: string, memberId: string, now = new Date()): Promise<number> {
  const nowIso = now.toISOString();
  return expireLots(env, await expiringLots(env.DB, tenantId, memberId, nowIso), nowIso);
}

/** Expires each lot once (the movement is keyed by the lot): for the cron and for a member's own spend or read. */
export async function expireLots(env: Pick<Env, "DB">, lots: LotRow[], nowIso: string): Promise<number> {
  let expired = 0;
  for (const lot of lots) {
    const id = newId("pm");
    const [ins] = await env.DB.batch([...expireLotStmts(env.DB, lot, id, nowIso), ...movementEventRows(env, lot.tenant_id, "expire", id)]);
    expired += ins!.meta.changes ?? 0;
  }
  return expired;
}

/** Runs one movement on its own. Returns the movement (this one, or the earlier one for the same source) or null. */
export async function recordMovement(env: Pick<Env, "DB">, m: Movement): Promise<{ movement: MovementRow | null; created: boolean }> {
  const { id, stmts } = await movementStmts(env, m);
  await env.DB.batch(stmts);
  const mine = await movementById(env.DB, id);
  if (mine) return { movement: mine, created: true };
  return { movement: await movementBySource(env.DB, m.tenantId, m.memberId, m.kind, m.sourceKind, m.sourceId), created: false };
}

/** Points for something a member did (check-in, task, referral…): exactly once per source. */
export async function earnPoints(env: Pick<Env, "DB">, p: { tenantId: string; memberId: string; sourceKind: string; sourceId: string; points: number; reason?: string }) {
  if (p.points <= 0) return { movement: null, created: false };
  return recordMovement(env, { ...p, kind: "earn" });
}

/**
 * The referral reward, for the join flow (members17): the inviting member earns `points` once per friend who joined.
 * Example: earnReferralReward(env, tenantId, inviterMemberId, newMemberId, 100).
 */
export function earnReferralReward(env: Pick<Env, "DB">, tenantId: string, inviterMemberId: string, invitedMemberId: string, points: number) {
  return earnPoints(env, { tenantId, memberId: inviterMemberId, sourceKind: "referral", sourceId: invitedMemberId, points, reason: "referral" });
}

/** For the payment's batch (services/fulfilment.ts): the order's points, written only if `paidGuard` holds. */
export function orderEarnStmts(env: Pick<Env, "DB">, tenantId: string, orderId: string, paidGuard: SqlGuard): D1PreparedStatement[] {
  const id = newId("pm");
  return [...earnForOrderStmts(env.DB, tenantId, orderId, id, newId("pl"), paidGuard), ...movementEventRows(env, tenantId, "earn", id)];
}

/** For the redemption's batch (services/redemptions.ts): the holder's points for redeeming at a store, if a member. */
export function redemptionEarnStmts(env: Pick<Env, "DB">, tenantId: string, holderId: string | null, redemptionId: string): D1PreparedStatement[] {
  if (!holderId) return [];
  const id = newId("pm");
  return [...earnForRedemptionStmts(env.DB, tenantId, holderId, redemptionId, id, newId("pl")), ...movementEventRows(env, tenantId, "earn", id, { userId: holderId })];
}

/** For the refund's batch: what is left of the order's points goes back, once, only when the order is refunded. */
export function orderRefundPointsStmts(env: Pick<Env, "DB">, tenantId: string, orderId: string): D1PreparedStatement[] {
  const id = newId("pm");
  const refunded = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'refunded')", args: [tenantId, orderId] };
  return [...reverseEarnStmts(env.DB, tenantId, "order", orderId, id, "order_refunded", refunded), ...movementEventRows(env, tenantId, "reverse", id)];
}

/** For a take-back's batch: what is left of the points one source earned goes back, once, while `guard` holds. */
export function reverseSourcePointsStmts(env: Pick<Env, "DB">, tenantId: string, source: { kind: string; id: string }, reason: string, guard: SqlGuard, buyerId: string | null) {
  const id = newId("pm");
  return [...reverseEarnStmts(env.DB, tenantId, source.kind, source.id, id, reason, guard), ...movementEventRows(env, tenantId, "reverse", id, { userId: buyerId })];
}

/** Operator adjustment with a reason; the idempotency key makes a retried request one movement. */
export async function adjustPoints(env: Pick<Env, "DB">, tenantId: string, input: { memberId: string; points: number; reason: string }, key: string, actorKeyId: string | null) {
  if (input.points < 0) await expireDueOfMember(env, tenantId, input.memberId);
  const member = await memberById(env.DB, tenantId, input.memberId);
  if (!member) throw ApiError.notFound("Member");
  const prior = await movementBySource(env.DB, tenantId, member.id, "adjust", "adjustment", key);
  if (prior) {
    if (prior.points !== input.points) throw ApiError.conflict("idempotency_key_reused", "This idempotency key was used for another adjustment");
    return toMovement(prior);
  }
  const { movement } = await recordMovement(env, {
    tenantId, memberId: member.id, kind: "adjust", sourceKind: "adjustment", sourceId: key, points: input.points, reason: input.reason, actorKeyId,
  });
  if (!movement) throw ApiError.conflict("insufficient_points", `The member has ${member.points_balance} points; cannot take ${-input.points}`);
  if (movement.points !== input.points) throw ApiError.conflict("idempotency_key_reused", "This idempotency key was used for another adjustment");
  return toMovement(movement);
}

/** Soon-expiring lots and a page of movements, newest first (cursor = the last movement's created_at|id). */
export async function statementOf(env: Pick<Env, "DB">, tenantId: string, memberId: string, q: { cursor?: string; limit: number }, now = new Date()) {
  const rules = await rulesOf(env, tenantId);
  let before: { at: string; id: string } | undefined;
  if (q.cursor) {
    const [at, id] = q.cursor.split("|");
    if (!at || !id) throw ApiError.badRequest("invalid_cursor", "cursor is not one this API gave");
    before = { at, id };
  }
  const rows = await movementsPage(env.DB, tenantId, memberId, q.limit + 1, before);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const soon = await expiringLots(env.DB, tenantId, memberId, new Date(now.getTime() + Math.max(rules.remind_days, 30) * 86_400_000).toISOString());
  return {
    movements: page.map(toMovement),
    nextCursor: rows.length > q.limit && last ? `${last.created_at}|${last.id}` : null,
    expiringSoon: soon.map((l) => ({ points: l.remaining, expiresAt: l.expires_at })),
  };
}

export async function liabilityOf(env: Pick<Env, "DB">, tenantId: string, now = new Date()) {
  const rules = await rulesOf(env, tenantId);
  const t = (await liabilityTotals(env.DB, tenantId, new Date(now.getTime() + 30 * 86_400_000).toISOString()))!;
  return {
    outstandingPoints: t.outstanding, valueCents: liabilityCents(t.outstanding, rules.cents_per_100_points), centsPer100Points: rules.cents_per_100_points,
    members: t.members, expiringIn30Days: t.expiring, issued: t.issued, spent: t.spent, expired: t.expired, reversed: t.reversed, adjusted: t.adjusted,
  };
}
