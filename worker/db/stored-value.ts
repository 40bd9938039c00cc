/**
 * Stored-value card statements (schema/d1/0160). Every balance change is two statements for one batch: a movement
 * inserted from the account's current row (INSERT OR IGNORE: UNIQUE kind + source makes a repeat insert nothing;
 * a debit's WHERE refuses a short balance), then the account set from that movement's *_after values — only when
 * that very movement (its fresh id) was inserted. Spend arithmetic mirrors domain/stored-value.ts (bonus first).
 */
import { newId } from "../domain/crypto";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface PlanRow {
  id: string;
  tenant_id: string;
  name: string;
  pay_cents: number;
  bonus_cents: number;
  bonus_valid_days: number | null;
  product_id: string;
  status: "active" | "archived";
  created_at: string;
}

export interface AccountRow {
  id: string;
  tenant_id: string;
  member_id: string;
  principal_cents: number;
  bonus_cents: number;
  bonus_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MovementRow {
  id: string;
  tenant_id: string;
  account_id: string;
  kind: "loaded" | "spent" | "returned" | "charged" | "refunded" | "expired";
  principal_delta: number;
  bonus_delta: number;
  principal_after: number;
  bonus_after: number;
  source_kind: string;
  source_id: string;
  order_id: string | null;
  store_id: string | null;
  request_hash: string | null;
  created_at: string;
  /** What it was for (the order's product, or the store charged at), where the read joins it. */
  title?: string | null;
}

export interface MovementSource {
  kind: MovementRow["kind"];
  sourceKind: string;
  sourceId: string;
  orderId?: string | null;
  storeId?: string | null;
  requestHash?: string | null;
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const COLS = "id, tenant_id, account_id, kind, principal_delta, bonus_delta, principal_after, bonus_after, source_kind, source_id, order_id, store_id, request_hash";

/** The member's account, created empty if it is not there yet (first statement of a load's batch). */
export function ensureAccountStmt(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("INSERT OR IGNORE INTO stored_value_accounts (id, tenant_id, member_id) VALUES (?, ?, ?)").bind(newId("sva"), tenantId, memberId);
}

/** Adds principal + bonus (a load). */
export function creditMovementStmt(db: D1Database, movementId: string, tenantId: string, memberId: string, principal: number, bonus: number, s: MovementSource, guard?: SqlGuard) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO stored_value_movements (${COLS})
       SELECT ?, a.tenant_id, a.id, ?, ?, ?, a.principal_cents + ?, a.bonus_cents + ?, ?, ?, ?, ?, ?
       FROM stored_value_accounts a WHERE a.tenant_id = ? AND a.member_id = ? AND ${guardSql(guard)}`,
    )
    .bind(movementId, s.kind, principal, bonus, principal, bonus, s.sourceKind, s.sourceId, s.orderId ?? null, s.storeId ?? null, s.requestHash ?? null, tenantId, memberId, ...guardArgs(guard));
}

/** Takes `amount` (bonus first, then principal); inserts nothing when the balance is short. */
export function debitMovementStmt(db: D1Database, movementId: string, tenantId: string, memberId: string, amount: number, s: MovementSource, guard?: SqlGuard) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO stored_value_movements (${COLS})
       SELECT ?, a.tenant_id, a.id, ?, -(? - MIN(a.bonus_cents, ?)), -MIN(a.bonus_cents, ?),
              a.principal_cents - (? - MIN(a.bonus_cents, ?)), a.bonus_cents - MIN(a.bonus_cents, ?), ?, ?, ?, ?, ?
       FROM stored_value_accounts a
       WHERE a.tenant_id = ? AND a.member_id = ? AND a.principal_cents + a.bonus_cents >= ? AND ${guardSql(guard)}`,
    )
    .bind(movementId, s.kind, amount, amount, amount, amount, amount, amount, s.sourceKind, s.sourceId, s.orderId ?? null, s.storeId ?? null, s.requestHash ?? null, tenantId, memberId, amount, ...guardArgs(guard));
}

/** Gives back exactly what an order's 'spent' movement took (same split), once. */
export function returnOrderMovementStmt(db: D1Database, movementId: string, tenantId: string, orderId: string, guard?: SqlGuard) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO stored_value_movements (${COLS})
       SELECT ?, a.tenant_id, a.id, 'returned', -s.principal_delta, -s.bonus_delta, a.principal_cents - s.principal_delta,
              a.bonus_cents - s.bonus_delta, 'order', s.source_id, s.order_id, NULL, NULL
       FROM stored_value_movements s JOIN stored_value_accounts a ON a.id = s.account_id
       WHERE s.tenant_id = ? AND s.kind = 'spent' AND s.source_kind = 'order' AND s.source_id = ? AND ${guardSql(guard)}`,
    )
    .bind(movementId, tenantId, orderId, ...guardArgs(guard));
}

/** Takes a load's refund (principal paid out, bonus forfeited, as computed by domain loadRefund) from the account. */
export function refundLoadMovementStmt(db: D1Database, movementId: string, tenantId: string, memberId: string, principal: number, bonus: number, orderId: string, guard?: SqlGuard) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO stored_value_movements (${COLS})
       SELECT ?, a.tenant_id, a.id, 'refunded', ?, ?, a.principal_cents - ?, a.bonus_cents - ?, 'order', ?, ?, NULL, NULL
       FROM stored_value_accounts a WHERE a.tenant_id = ? AND a.member_id = ? AND a.principal_cents >= ? AND a.bonus_cents >= ? AND ${guardSql(guard)}`,
    )
    .bind(movementId, -principal, -bonus, principal, bonus, orderId, orderId, tenantId, memberId, principal, bonus, ...guardArgs(guard));
}

/** The account takes the movement's result — only if this very movement was inserted by the batch. */
export function applyMovementStmt(db: D1Database, movementId: string) {
  return db
    .prepare(
      `UPDATE stored_value_accounts SET
         principal_cents = (SELECT principal_after FROM stored_value_movements WHERE id = ?1),
         bonus_cents = (SELECT bonus_after FROM stored_value_movements WHERE id = ?1),
         updated_at = ${NOW}
       WHERE id = (SELECT account_id FROM stored_value_movements WHERE id = ?1)`,
    )
    .bind(movementId);
}

/** Records on the order how much of it the balance paid (after its debit, in the order's batch). */
export function markOrderStoredValueStmt(db: D1Database, tenantId: string, orderId: string, movementId: string, cents: number) {
  return db
    .prepare("UPDATE orders SET stored_value_cents = ? WHERE tenant_id = ? AND id = ? AND EXISTS (SELECT 1 FROM stored_value_movements WHERE id = ?)")
    .bind(cents, tenantId, orderId, movementId);
}

export const movementInserted = (movementId: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM stored_value_movements WHERE id = ?)", args: [movementId] });

/** SQL for "this order's balance part is still taken" (debited and not given back): payable only then. */
export const ORDER_BALANCE_HELD_SQL = `(orders.stored_value_cents = 0 OR NOT EXISTS (SELECT 1 FROM stored_value_movements m
  WHERE m.tenant_id = orders.tenant_id AND m.kind = 'returned' AND m.source_kind = 'order' AND m.source_id = orders.id))`;

export function movementBySource(db: D1Database, tenantId: string, kind: MovementRow["kind"], sourceKind: string, sourceId: string) {
  return db
    .prepare("SELECT * FROM stored_value_movements WHERE tenant_id = ? AND kind = ? AND source_kind = ? AND source_id = ?")
    .bind(tenantId, kind, sourceKind, sourceId)
    .first<MovementRow>();
}

export function accountById(db: D1Database, tenantId: string, accountId: string) {
  return db.prepare("SELECT * FROM stored_value_accounts WHERE tenant_id = ? AND id = ?").bind(tenantId, accountId).first<AccountRow>();
}

export function movementById(db: D1Database, tenantId: string, movementId: string) {
  return db.prepare("SELECT * FROM stored_value_movements WHERE tenant_id = ? AND id = ?").bind(tenantId, movementId).first<MovementRow>();
}

export function accountByMember(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("SELECT * FROM stored_value_accounts WHERE tenant_id = ? AND member_id = ?").bind(tenantId, memberId).first<AccountRow>();
}

export async function movementsOfAccount(db: D1Database, tenantId: string, accountId: string, limit = 50) {
  return (
    await db
      .prepare(
        `SELECT m.*, COALESCE(p.name, s.name) AS title FROM stored_value_movements m
         LEFT JOIN orders o ON o.id = m.order_id AND o.tenant_id = m.tenant_id
         LEFT JOIN products p ON p.id = o.product_id AND p.tenant_id = m.tenant_id
         LEFT JOIN stores s ON s.id = m.store_id AND s.tenant_id = m.tenant_id
         WHERE m.tenant_id = ? AND m.account_id = ? ORDER BY m.created_at DESC, m.rowid DESC LIMIT ?`,
      )
      .bind(tenantId, accountId, limit)
      .all<MovementRow>()
  ).results;
}

export function insertPlanStmt(db: D1Database, p: Pick<PlanRow, "id" | "tenant_id" | "name" | "pay_cents" | "bonus_cents" | "bonus_valid_days" | "product_id">) {
  return db
    .prepare("INSERT INTO stored_value_plans (id, tenant_id, name, pay_cents, bonus_cents, bonus_valid_days, product_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *")
    .bind(p.id, p.tenant_id, p.name, p.pay_cents, p.bonus_cents, p.bonus_valid_days, p.product_id);
}

/**
 * After a load's movement: the bonus expiry moves to this load's (the later one wins); a load whose bonus never
 * expires (validUntil null) clears it, so no bonus is ever taken earlier than its own load promised.
 */
export function setBonusExpiryStmt(db: D1Database, movementId: string, validUntil: string | null) {
  return db
    .prepare(
      `UPDATE stored_value_accounts SET bonus_expires_at = CASE WHEN ?1 IS NULL THEN NULL ELSE MAX(COALESCE(bonus_expires_at, ?1), ?1) END
       WHERE id = (SELECT account_id FROM stored_value_movements WHERE id = ?2)`,
    )
    .bind(validUntil, movementId);
}

/** Accounts whose bonus is past its expiry (the cron's sweep), oldest first. */
export async function accountsWithExpiredBonus(db: D1Database, now: string, limit = 100) {
  return (
    await db
      .prepare("SELECT * FROM stored_value_accounts WHERE bonus_expires_at IS NOT NULL AND bonus_expires_at <= ? AND bonus_cents > 0 ORDER BY bonus_expires_at LIMIT ?")
      .bind(now, limit)
      .all<AccountRow>()
  ).results;
}

/** The bonus left goes, once per account + expiry (source id), only while the expiry is still the one seen. */
export function expireBonusMovementStmt(db: D1Database, movementId: string, a: AccountRow) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO stored_value_movements (${COLS})
       SELECT ?, tenant_id, id, 'expired', 0, -bonus_cents, principal_cents, 0, 'bonus_expiry', ?, NULL, NULL, NULL
       FROM stored_value_accounts WHERE id = ? AND bonus_expires_at = ? AND bonus_cents > 0`,
    )
    .bind(movementId, `${a.id}:${a.bonus_expires_at}`, a.id, a.bonus_expires_at);
}

export function clearBonusExpiryStmt(db: D1Database, movementId: string) {
  return db.prepare("UPDATE stored_value_accounts SET bonus_expires_at = NULL WHERE id = (SELECT account_id FROM stored_value_movements WHERE id = ?)").bind(movementId);
}

/** The hidden product a plan is sold through: kind 'coupon', unlimited, never published (createOrder requirePublished false). */
export function insertPlanProductStmt(db: D1Database, tenantId: string, productId: string, name: string, payCents: number, faceCents: number, planId: string) {
  return db
    .prepare(
      `INSERT INTO products (id, tenant_id, kind, name, price_cents, face_value_cents, validity_kind, valid_days, scope_text, config, status)
       VALUES (?, ?, 'coupon', ?, ?, ?, 'relative', 3650, '储值卡余额 / stored-value balance', ?, 'draft')`,
    )
    .bind(productId, tenantId, name, payCents, faceCents, JSON.stringify({ storedValue: { planId } }));
}

export async function listPlans(db: D1Database, tenantId: string, activeOnly: boolean) {
  return (
    await db
      .prepare(`SELECT * FROM stored_value_plans WHERE tenant_id = ? ${activeOnly ? "AND status = 'active'" : ""} ORDER BY pay_cents, created_at`)
      .bind(tenantId)
      .all<PlanRow>()
  ).results;
}

export function planById(db: D1Database, tenantId: string, planId: string) {
  return db.prepare("SELECT * FROM stored_value_plans WHERE tenant_id = ? AND id = ?").bind(tenantId, planId).first<PlanRow>();
}

export function planByProduct(db: D1Database, tenantId: string, productId: string) {
  return db.prepare("SELECT * FROM stored_value_plans WHERE tenant_id = ? AND product_id = ?").bind(tenantId, productId).first<PlanRow>();
}

export function setPlanStatus(db: D1Database, tenantId: string, planId: string, status: PlanRow["status"]) {
  return db.prepare("UPDATE stored_value_plans SET status = ? WHERE tenant_id = ? AND id = ? RETURNING *").bind(status, tenantId, planId).first<PlanRow>();
}

export interface AccountListRow extends AccountRow {
  card_no: string;
}

/** Accounts of a brand, largest balance first; `q` matches a card number or member id exactly. */
export async function searchAccounts(db: D1Database, tenantId: string, q: string | undefined, limit: number) {
  const where = q ? "AND (m.card_no = ? OR m.id = ?)" : "";
  return (
    await db
      .prepare(
        `SELECT a.*, m.card_no FROM stored_value_accounts a JOIN members m ON m.id = a.member_id AND m.tenant_id = a.tenant_id
         WHERE a.tenant_id = ? ${where} ORDER BY a.principal_cents + a.bonus_cents DESC, a.created_at LIMIT ?`,
      )
      .bind(tenantId, ...(q ? [q, q] : []), limit)
      .all<AccountListRow>()
  ).results;
}

export function liability(db: D1Database, tenantId: string) {
  return db
    .prepare(
      `SELECT COALESCE(SUM(principal_cents), 0) AS principal, COALESCE(SUM(bonus_cents), 0) AS bonus,
              COUNT(*) FILTER (WHERE principal_cents + bonus_cents > 0) AS accounts
       FROM stored_value_accounts WHERE tenant_id = ?`,
    )
    .bind(tenantId)
    .first<{ principal: number; bonus: number; accounts: number }>();
}
