/**
 * The points ledger's SQL (schema/d1/0155): every movement is one INSERT into points_movements keyed
 * (tenant, member, kind, source) — a repeat inserts nothing — followed, in the same batch, by statements guarded on
 * that very movement id existing: the members.points_balance cache, the earned lot or the lots it consumed, and its
 * event. So the cache, the lots and the ledger move together or not at all, and a spend that the balance does not
 * cover inserts nothing (the balance never goes below zero, however many spends race).
 */
import type { SqlGuard } from "./statements";
import { guardArgs, guardSql } from "./statements";

export const NOW_ISO = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export interface MovementRow {
  id: string;
  tenant_id: string;
  member_id: string;
  kind: "earn" | "spend" | "reverse" | "expire" | "adjust";
  points: number;
  balance_after: number;
  source_kind: string;
  source_id: string;
  order_id: string | null;
  reason: string | null;
  shortfall: number;
  actor_key_id: string | null;
  created_at: string;
}

export interface LotRow {
  id: string;
  tenant_id: string;
  member_id: string;
  movement_id: string;
  points: number;
  remaining: number;
  source_kind: string;
  source_id: string;
  earned_at: string;
  expires_at: string;
  reminded_at: string | null;
  expired_at: string | null;
}

export interface RulesRow {
  points_per_yuan: number;
  points_per_redemption: number;
  expiry_months: number;
  remind_days: number;
  cents_per_100_points: number;
  check_in_points: number;
  streak_rewards: string;
}

export const DEFAULT_RULES: RulesRow = {
  points_per_yuan: 1, points_per_redemption: 0, expiry_months: 12, remind_days: 7, cents_per_100_points: 100, check_in_points: 5,
  streak_rewards: '[{"day":7,"points":50}]',
};

export interface MovementSpec {
  id: string;
  tenantId: string;
  memberId: string;
  kind: MovementRow["kind"];
  sourceKind: string;
  sourceId: string;
  orderId?: string | null;
  reason?: string | null;
  actorKeyId?: string | null;
}

/** The movement exists (was inserted by this batch: ids are fresh per call). */
export const movementExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM points_movements WHERE id = ?)", args: [id] });

const INSERT_MOVEMENT = `INSERT OR IGNORE INTO points_movements
  (id, tenant_id, member_id, kind, points, balance_after, source_kind, source_id, order_id, reason, shortfall, actor_key_id)`;

/**
 * A credit of `points` (> 0) to a member, only while `guard` holds. Inserts nothing when this (kind, source) was
 * credited before.
 */
export function creditStmt(db: D1Database, m: MovementSpec, points: number, guard?: SqlGuard): D1PreparedStatement {
  return db.prepare(
    `${INSERT_MOVEMENT} SELECT ?, tenant_id, id, ?, ?, points_balance + ?, ?, ?, ?, ?, 0, ? FROM members
     WHERE tenant_id = ? AND id = ? AND ? > 0 AND (${guardSql(guard)})`,
  ).bind(m.id, m.kind, points, points, m.sourceKind, m.sourceId, m.orderId ?? null, m.reason ?? null, m.actorKeyId ?? null, m.tenantId, m.memberId, points, ...guardArgs(guard));
}

/** A debit of `points` (> 0), only when the balance covers it (and `guard` holds). */
export function debitStmt(db: D1Database, m: MovementSpec, points: number, guard?: SqlGuard): D1PreparedStatement {
  return db.prepare(
    `${INSERT_MOVEMENT} SELECT ?, tenant_id, id, ?, -?, points_balance - ?, ?, ?, ?, ?, 0, ? FROM members
     WHERE tenant_id = ? AND id = ? AND ? > 0 AND points_balance >= ? AND (${guardSql(guard)})`,
  ).bind(m.id, m.kind, points, points, m.sourceKind, m.sourceId, m.orderId ?? null, m.reason ?? null, m.actorKeyId ?? null, m.tenantId, m.memberId, points, points, ...guardArgs(guard));
}

/** The balance cache follows the movement (nothing when the movement was not inserted). */
export function applyToBalanceStmt(db: D1Database, movementId: string): D1PreparedStatement {
  return db.prepare(
    `UPDATE members SET points_balance = points_balance + (SELECT points FROM points_movements WHERE id = ?1)
     WHERE id = (SELECT member_id FROM points_movements WHERE id = ?1)`,
  ).bind(movementId);
}

/** The lot a credit made, expiring at `expiresAt` (ISO), or `expiryMonths` after the movement when given as a number. */
export function insertLotStmt(db: D1Database, lotId: string, movementId: string, expiresAt: string): D1PreparedStatement {
  return db.prepare(
    `INSERT INTO points_lots (id, tenant_id, member_id, movement_id, points, remaining, source_kind, source_id, earned_at, expires_at)
     SELECT ?, tenant_id, member_id, id, points, points, source_kind, source_id, created_at, ? FROM points_movements WHERE id = ? AND points > 0`,
  ).bind(lotId, expiresAt, movementId);
}

/**
 * A debit takes its points from the member's lots, soonest expiry first (domain/points.ts consumeOldestFirst):
 * a running sum over the lots says how much each one gives; then the lots are lowered by what was taken.
 */
export function consumeLotsStmts(db: D1Database, movementId: string): D1PreparedStatement[] {
  return [
    db.prepare(
      `WITH mv AS (SELECT tenant_id, member_id, -points AS amount FROM points_movements WHERE id = ?1 AND points < 0),
       ordered AS (
         SELECT l.id, l.remaining,
                COALESCE(SUM(l.remaining) OVER (ORDER BY l.expires_at, l.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
         FROM points_lots l JOIN mv ON l.tenant_id = mv.tenant_id AND l.member_id = mv.member_id
         WHERE l.remaining > 0
       )
       INSERT INTO points_lot_uses (movement_id, lot_id, points)
       SELECT ?1, o.id, MIN(o.remaining, mv.amount - o.before) FROM ordered o, mv WHERE o.before < mv.amount`,
    ).bind(movementId),
    db.prepare(
      `UPDATE points_lots SET remaining = remaining - (SELECT points FROM points_lot_uses WHERE movement_id = ?1 AND lot_id = points_lots.id)
       WHERE id IN (SELECT lot_id FROM points_lot_uses WHERE movement_id = ?1)`,
    ).bind(movementId),
  ];
}

/**
 * Which of a debit's uses (points_lot_uses u of lot l) a return does not give back: points taken from a lot that has
 * expired since (they would have expired had they not been spent), or from a lot earned by an order that has since
 * been refunded. That refund's reversal could not take them (they were spent: its shortfall), so giving them back
 * would mint points from a refunded order; they are withheld instead (recorded as the return's shortfall).
 */
const NOT_RESTORED = `(l.expired_at IS NOT NULL OR (l.source_kind = 'order' AND EXISTS (SELECT 1 FROM points_movements r WHERE r.tenant_id = l.tenant_id
    AND r.member_id = l.member_id AND r.kind = 'reverse' AND r.source_kind = 'order' AND r.source_id = l.source_id)))`;
const WITHHELD = `COALESCE((SELECT SUM(u.points) FROM points_lot_uses u JOIN points_lots l ON l.id = u.lot_id
  WHERE u.movement_id = d.id AND ${NOT_RESTORED}), 0)`;

/**
 * Gives back a debit (a returned mall exchange), less what is WITHHELD: each point goes back into the very lot it was
 * taken from, so it keeps its origin and its expiry. Spending returned points again and refunding the order that
 * earned them therefore follows the points however many exchanges they went through (the order's refund finds them
 * in its own lot; a later return withholds them), and they expire when they would have. `debit` selects the debit's
 * id; the credit is keyed (reverse, m.sourceKind, m.sourceId), so it happens once. (Returns made before this change gave
 * back a new lot of their own: reverseEarnStmts' CLAWED still follows those.)
 */
export function returnDebitStmts(db: D1Database, m: MovementSpec, debit: SqlGuard, guard?: SqlGuard): D1PreparedStatement[] {
  return [
    db.prepare(
      `${INSERT_MOVEMENT} SELECT ?, m.tenant_id, m.id, 'reverse', -d.points - ${WITHHELD}, m.points_balance - d.points - ${WITHHELD}, ?, ?, ?, ?, ${WITHHELD}, ?
       FROM points_movements d JOIN members m ON m.id = d.member_id
       WHERE d.id = (${debit.sql}) AND d.tenant_id = ? AND d.points < 0 AND (${guardSql(guard)})`,
    ).bind(m.id, m.sourceKind, m.sourceId, m.orderId ?? null, m.reason ?? null, m.actorKeyId ?? null, ...debit.args, m.tenantId, ...guardArgs(guard)),
    applyToBalanceStmt(db, m.id),
    // The same lots as the movement counted (NOT_RESTORED reads nothing this batch changed before it).
    db.prepare(
      `UPDATE points_lots AS l SET remaining = remaining + (SELECT u.points FROM points_lot_uses u WHERE u.movement_id = (${debit.sql}) AND u.lot_id = l.id)
       WHERE l.id IN (SELECT lot_id FROM points_lot_uses WHERE movement_id = (${debit.sql})) AND NOT ${NOT_RESTORED}
         AND EXISTS (SELECT 1 FROM points_movements WHERE id = ?)`,
    ).bind(...debit.args, ...debit.args, m.id),
  ];
}

/**
 * Points a paid order earned, all in SQL so they join the payment's own batch: the order's buyer's membership, the
 * tenant's rule (points per yuan, expiry months; defaults when unset), only while `guard` holds (the order is paid by
 * this payment). Not a member, or nothing to earn: nothing is written. Only the gateway part earns: the balance part
 * earned when it was loaded (an order paid wholly from the balance earns nothing).
 */
export function earnForOrderStmts(db: D1Database, tenantId: string, orderId: string, movementId: string, lotId: string, guard: SqlGuard): D1PreparedStatement[] {
  const points = `((o.amount_cents - o.stored_value_cents) * COALESCE(r.points_per_yuan, ${DEFAULT_RULES.points_per_yuan})) / 100`;
  return [
    db.prepare(
      `${INSERT_MOVEMENT} SELECT ?, o.tenant_id, m.id, 'earn', ${points}, m.points_balance + ${points}, 'order', o.id, o.id, 'order_paid', 0, NULL
       FROM orders o JOIN members m ON m.tenant_id = o.tenant_id AND m.buyer_id = o.buyer_id
       LEFT JOIN points_rules r ON r.tenant_id = o.tenant_id
       WHERE o.tenant_id = ? AND o.id = ? AND ${points} > 0 AND (${guardSql(guard)})`,
    ).bind(movementId, tenantId, orderId, ...guardArgs(guard)),
    applyToBalanceStmt(db, movementId),
    ruleLotStmt(db, lotId, movementId),
  ];
}

/** Points for a voucher redeemed at a store (the tenant's points_per_redemption; none when 0 or not a member). */
export function earnForRedemptionStmts(db: D1Database, tenantId: string, holderId: string, redemptionId: string, movementId: string, lotId: string): D1PreparedStatement[] {
  return [
    db.prepare(
      `${INSERT_MOVEMENT} SELECT ?, m.tenant_id, m.id, 'earn', r.points_per_redemption, m.points_balance + r.points_per_redemption, 'redemption', ?, NULL, 'redeemed_at_store', 0, NULL
       FROM members m JOIN points_rules r ON r.tenant_id = m.tenant_id
       WHERE m.tenant_id = ? AND m.buyer_id = ? AND r.points_per_redemption > 0
         AND EXISTS (SELECT 1 FROM redemptions WHERE tenant_id = ? AND id = ? AND outcome = 'succeeded')`,
    ).bind(movementId, redemptionId, tenantId, holderId, tenantId, redemptionId),
    applyToBalanceStmt(db, movementId),
    ruleLotStmt(db, lotId, movementId),
  ];
}

/** The lot of a credit, expiring the tenant's expiry_months after the movement. */
function ruleLotStmt(db: D1Database, lotId: string, movementId: string) {
  return db.prepare(
    `INSERT INTO points_lots (id, tenant_id, member_id, movement_id, points, remaining, source_kind, source_id, earned_at, expires_at)
     SELECT ?, p.tenant_id, p.member_id, p.id, p.points, p.points, p.source_kind, p.source_id, p.created_at,
            strftime('%Y-%m-%dT%H:%M:%fZ', p.created_at, '+' || COALESCE(r.expiry_months, ${DEFAULT_RULES.expiry_months}) || ' months')
     FROM points_movements p LEFT JOIN points_rules r ON r.tenant_id = p.tenant_id WHERE p.id = ? AND p.points > 0`,
  ).bind(lotId, movementId);
}

/**
 * CLAWED: points of lot `l` that a spend took and a returned mall exchange gave back as a new lot (returnDebitStmts),
 * still in those return lots: a refund of the order that earned `l` takes them back too, else spending an order's
 * points in the mall and refunding both would leave them with the member. Per return lot: at most what the spend
 * took from `l` and at most what that lot still holds.
 */
const SPEND_OF_RETURN = `JOIN points_movements d ON d.tenant_id = rm.tenant_id AND d.member_id = rm.member_id AND d.kind = 'spend'
  AND d.source_kind = rm.source_kind AND d.source_id = rm.source_id JOIN points_lot_uses u ON u.movement_id = d.id`;
const CLAWED = `COALESCE((SELECT SUM(MIN(r.remaining, u.points)) FROM points_lots r JOIN points_movements rm ON rm.id = r.movement_id AND rm.kind = 'reverse'
  ${SPEND_OF_RETURN} WHERE u.lot_id = l.id AND r.member_id = l.member_id AND r.remaining > 0), 0)`;

/**
 * A refunded source takes back what is left of the lot it earned, and of its points a returned mall exchange gave
 * back (CLAWED); the rest was spent and is recorded as the shortfall — the balance never goes below zero.
 * Once per source (the movement key).
 */
export function reverseEarnStmts(db: D1Database, tenantId: string, sourceKind: string, sourceId: string, movementId: string, reason: string, guard?: SqlGuard): D1PreparedStatement[] {
  return [
    db.prepare(
      `${INSERT_MOVEMENT} SELECT ?, l.tenant_id, l.member_id, 'reverse', -(l.remaining + ${CLAWED}), m.points_balance - (l.remaining + ${CLAWED}), l.source_kind, l.source_id,
              CASE WHEN l.source_kind = 'order' THEN l.source_id END, ?, l.points - l.remaining - ${CLAWED}, NULL
       FROM points_lots l JOIN members m ON m.id = l.member_id
       WHERE l.tenant_id = ? AND l.source_kind = ? AND l.source_id = ? AND (${guardSql(guard)})`,
    ).bind(movementId, reason, tenantId, sourceKind, sourceId, ...guardArgs(guard)),
    applyToBalanceStmt(db, movementId),
    // The return lots (this reads lot l's uses, not its remaining, so it may run before or after l is emptied).
    db.prepare(
      `UPDATE points_lots SET remaining = remaining - MIN(remaining, (SELECT SUM(u.points) FROM points_movements rm ${SPEND_OF_RETURN}
         JOIN points_lots a ON a.id = u.lot_id WHERE rm.id = points_lots.movement_id AND rm.kind = 'reverse' AND a.tenant_id = ?1 AND a.source_kind = ?2 AND a.source_id = ?3))
       WHERE tenant_id = ?1 AND remaining > 0 AND movement_id IN (SELECT rm.id FROM points_movements rm ${SPEND_OF_RETURN}
         JOIN points_lots a ON a.id = u.lot_id WHERE rm.kind = 'reverse' AND a.tenant_id = ?1 AND a.source_kind = ?2 AND a.source_id = ?3)
         AND EXISTS (SELECT 1 FROM points_movements WHERE id = ?4)`,
    ).bind(tenantId, sourceKind, sourceId, movementId),
    db.prepare(
      `UPDATE points_lots SET remaining = 0 WHERE tenant_id = ? AND source_kind = ? AND source_id = ?
       AND EXISTS (SELECT 1 FROM points_movements WHERE id = ?)`,
    ).bind(tenantId, sourceKind, sourceId, movementId),
  ];
}

/** A lot past its expiry loses what it has left, once (the movement is keyed by the lot). */
export function expireLotStmts(db: D1Database, lot: LotRow, movementId: string, nowIso: string): D1PreparedStatement[] {
  return [
    db.prepare(
      `${INSERT_MOVEMENT} SELECT ?, l.tenant_id, l.member_id, 'expire', -l.remaining, m.points_balance - l.remaining, 'lot', l.id, NULL, 'expired', 0, NULL
       FROM points_lots l JOIN members m ON m.id = l.member_id
       WHERE l.id = ? AND l.remaining > 0 AND l.expired_at IS NULL AND l.expires_at <= ?`,
    ).bind(movementId, lot.id, nowIso),
    applyToBalanceStmt(db, movementId),
    db.prepare(
      "UPDATE points_lots SET remaining = 0, expired_at = ? WHERE id = ? AND EXISTS (SELECT 1 FROM points_movements WHERE id = ?)",
    ).bind(nowIso, lot.id, movementId),
  ];
}

export function dueLots(db: D1Database, nowIso: string, limit: number) {
  return db.prepare(
    "SELECT * FROM points_lots WHERE remaining > 0 AND expired_at IS NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
  ).bind(nowIso, limit).all<LotRow>().then((r) => r.results);
}

/** Lots to remind about: unreminded, points left, expiring within the tenant's remind_days of `now`. */
export function lotsToRemind(db: D1Database, nowIso: string, limit: number) {
  return db.prepare(
    `SELECT l.*, b.phone_hash, m.buyer_id AS holder_buyer_id, COALESCE(r.remind_days, ${DEFAULT_RULES.remind_days}) AS remind_days FROM points_lots l
     JOIN members m ON m.id = l.member_id JOIN buyers b ON b.id = m.buyer_id
     LEFT JOIN points_rules r ON r.tenant_id = l.tenant_id
     WHERE l.remaining > 0 AND l.expired_at IS NULL AND l.reminded_at IS NULL AND l.expires_at > ?1
       AND l.expires_at <= strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '+' || COALESCE(r.remind_days, ${DEFAULT_RULES.remind_days}) || ' days')
     ORDER BY l.expires_at LIMIT ?2`,
  ).bind(nowIso, limit).all<LotRow & { phone_hash: string | null; holder_buyer_id: string; remind_days: number }>().then((r) => r.results);
}

export function markRemindedStmt(db: D1Database, lotId: string, nowIso: string) {
  return db.prepare("UPDATE points_lots SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL").bind(nowIso, lotId);
}

export function getRules(db: D1Database, tenantId: string) {
  return db.prepare("SELECT * FROM points_rules WHERE tenant_id = ?").bind(tenantId).first<RulesRow>();
}

export function upsertRules(db: D1Database, tenantId: string, r: RulesRow) {
  return db.prepare(
    `INSERT INTO points_rules (tenant_id, points_per_yuan, points_per_redemption, expiry_months, remind_days, cents_per_100_points, check_in_points, streak_rewards)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (tenant_id) DO UPDATE SET points_per_yuan = excluded.points_per_yuan, points_per_redemption = excluded.points_per_redemption,
       expiry_months = excluded.expiry_months, remind_days = excluded.remind_days, cents_per_100_points = excluded.cents_per_100_points,
       check_in_points = excluded.check_in_points, streak_rewards = excluded.streak_rewards, updated_at = ${NOW_ISO}`,
  ).bind(tenantId, r.points_per_yuan, r.points_per_redemption, r.expiry_months, r.remind_days, r.cents_per_100_points, r.check_in_points, r.streak_rewards).run();
}

export function movementById(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM points_movements WHERE id = ?").bind(id).first<MovementRow>();
}

export function movementBySource(db: D1Database, tenantId: string, memberId: string, kind: string, sourceKind: string, sourceId: string) {
  return db.prepare("SELECT * FROM points_movements WHERE tenant_id = ? AND member_id = ? AND kind = ? AND source_kind = ? AND source_id = ?")
    .bind(tenantId, memberId, kind, sourceKind, sourceId).first<MovementRow>();
}

/** A member's movements, newest first, before the (created_at, id) cursor. */
export function movementsPage(db: D1Database, tenantId: string, memberId: string, limit: number, before?: { at: string; id: string }) {
  return db.prepare(
    `SELECT * FROM points_movements WHERE tenant_id = ? AND member_id = ?
     ${before ? "AND (created_at < ? OR (created_at = ? AND id < ?))" : ""}
     ORDER BY created_at DESC, id DESC LIMIT ?`,
  ).bind(tenantId, memberId, ...(before ? [before.at, before.at, before.id] : []), limit).all<MovementRow>().then((r) => r.results);
}

/** Lots with points left expiring before `untilIso`, soonest first. */
export function expiringLots(db: D1Database, tenantId: string, memberId: string, untilIso: string) {
  return db.prepare(
    "SELECT * FROM points_lots WHERE tenant_id = ? AND member_id = ? AND remaining > 0 AND expired_at IS NULL AND expires_at <= ? ORDER BY expires_at",
  ).bind(tenantId, memberId, untilIso).all<LotRow>().then((r) => r.results);
}

export function memberLots(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("SELECT * FROM points_lots WHERE tenant_id = ? AND member_id = ? ORDER BY expires_at, id").bind(tenantId, memberId).all<LotRow>().then((r) => r.results);
}

/**
 * Outstanding points and what moved, for the liability view. Each kind is counted once, so they add up:
 * issued (earned) − spent − expired + reversed + adjusted = outstanding. `reversed` and `adjusted` keep their sign:
 * a returned mall exchange gives back a spend (+), a refunded order takes back what it earned (−); neither is an
 * issuance or a spend of its own.
 */
export function liabilityTotals(db: D1Database, tenantId: string, in30DaysIso: string) {
  return db.prepare(
    `SELECT
       (SELECT COALESCE(SUM(points_balance), 0) FROM members WHERE tenant_id = ?1) AS outstanding,
       (SELECT COUNT(*) FROM members WHERE tenant_id = ?1 AND points_balance > 0) AS members,
       (SELECT COALESCE(SUM(remaining), 0) FROM points_lots WHERE tenant_id = ?1 AND remaining > 0 AND expired_at IS NULL AND expires_at <= ?2) AS expiring,
       (SELECT COALESCE(SUM(points), 0) FROM points_movements WHERE tenant_id = ?1 AND kind = 'earn') AS issued,
       (SELECT COALESCE(-SUM(points), 0) FROM points_movements WHERE tenant_id = ?1 AND kind = 'spend') AS spent,
       (SELECT COALESCE(-SUM(points), 0) FROM points_movements WHERE tenant_id = ?1 AND kind = 'expire') AS expired,
       (SELECT COALESCE(SUM(points), 0) FROM points_movements WHERE tenant_id = ?1 AND kind = 'reverse') AS reversed,
       (SELECT COALESCE(SUM(points), 0) FROM points_movements WHERE tenant_id = ?1 AND kind = 'adjust') AS adjusted`,
  ).bind(tenantId, in30DaysIso).first<{ outstanding: number; members: number; expiring: number; issued: number; spent: number; expired: number; reversed: number; adjusted: number }>();
}
