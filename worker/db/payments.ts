import type { ComputedField } from "./event-outbox";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface PaymentRow {
  id: string;
  tenant_id: string;
  order_id: string;
  provider: string;
  kind: "charge" | "refund";
  amount_cents: number;
  currency: string;
  status: "pending" | "succeeded" | "failed";
  provider_ref: string | null;
  created_at: string;
  completed_at: string | null;
  reason: string | null;
  /** A refund's charge. */
  refund_of: string | null;
  /** 'owed' | 'done:<run>' | 'void' | 'undo' | 'undone:<run>' (0230, 0231); NULL when nothing follows the row. */
  follow_up?: string | null;
  /** The gateway's reason for refusing a refund (0231). */
  failure_reason?: string | null;
  /** A pending refund: when the cron last asked the gateway about it (0245). */
  polled_at?: string | null;
}

/** `guard` (SQL + args) makes the insert conditional inside a batch. */
export function insertPaymentStmt(
  db: D1Database,
  p: Pick<PaymentRow, "id" | "tenant_id" | "order_id" | "provider" | "kind" | "amount_cents" | "currency">,
  guard?: SqlGuard,
) {
  return db
    .prepare(`INSERT INTO payments (id, tenant_id, order_id, provider, kind, amount_cents, currency) SELECT ?, ?, ?, ?, ?, ?, ? WHERE ${guardSql(guard)}`)
    .bind(p.id, p.tenant_id, p.order_id, p.provider, p.kind, p.amount_cents, p.currency, ...guardArgs(guard));
}

/** Gateway callbacks are not tenant-authenticated (the signature is): the unguessable payment id names the tenant. */
export function getPaymentById(db: D1Database, id: string) {
  return paymentByIdStmt(db, id).first<PaymentRow>();
}

export const paymentByIdStmt = (db: D1Database, id: string) => db.prepare("SELECT * FROM payments WHERE id = ?").bind(id);

export function getChargeOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare("SELECT * FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'charge' ORDER BY created_at DESC LIMIT 1")
    .bind(tenantId, orderId)
    .first<PaymentRow>();
}

/** pending → succeeded|failed once; the gateway's transaction id is unique per provider. */
export function completePaymentStmt(db: D1Database, tenantId: string, id: string, status: "succeeded" | "failed", providerRef: string | null) {
  return db
    .prepare(
      `UPDATE payments SET status = ?, provider_ref = ?, completed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status = 'pending' RETURNING *`,
    )
    .bind(status, providerRef, tenantId, id);
}

/**
 * A refund pending → failed once, with the gateway's reason. A refund already recorded as made — its follow-up done
 * (a part or complaint refund), or the whole refund of an order now refunded — owes back what it took: follow_up 'undo'.
 */
export function failRefundStmt(db: D1Database, tenantId: string, id: string, providerRef: string | null, reason: string | null) {
  return db
    .prepare(
      `UPDATE payments SET status = 'failed', provider_ref = COALESCE(?, provider_ref), failure_reason = ?,
         completed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
         follow_up = CASE WHEN follow_up LIKE 'done:%'
           OR (follow_up IS NULL AND id LIKE 'rfo\\_%' ESCAPE '\\'
               AND EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = payments.tenant_id AND o.id = payments.order_id AND o.status = 'refunded'))
           THEN 'undo' ELSE follow_up END
       WHERE tenant_id = ? AND id = ? AND kind = 'refund' AND status = 'pending' RETURNING *`,
    )
    .bind(providerRef, reason, tenantId, id);
}

/** Refunds refused after they were recorded whose give-back a crash interrupted (services/refund-reversal.ts). */
export async function refundsOwingUndo(db: D1Database, limit: number) {
  const { results } = await db.prepare("SELECT * FROM payments WHERE follow_up = 'undo' ORDER BY created_at LIMIT ?").bind(limit).all<PaymentRow>();
  return results;
}

/** The order's charge payment id, if one was opened. */
export async function chargeIdOfOrder(db: D1Database, tenantId: string, orderId: string): Promise<string | null> {
  const r = await db.prepare("SELECT id FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'charge' LIMIT 1").bind(tenantId, orderId).first<{ id: string }>();
  return r?.id ?? null;
}

/**
 * Cents of the order of the charge row `c` already refunded or being refunded (a failed refund gives its cents back).
 * Every refund check reads this one expression: the console's, the automatic ones and what is left to refund.
 */
export const REFUNDED_CENTS_SQL = `COALESCE((SELECT SUM(r.amount_cents) FROM payments r
  WHERE r.tenant_id = c.tenant_id AND r.order_id = c.order_id AND r.kind = 'refund' AND r.status != 'failed'), 0)`;

/**
 * An order_refunded's `amountCents`, set by the batch that refunds the order: the money given back at the gateway for
 * the order, every refund not failed (REFUNDED_CENTS_SQL) — 0 for an order paid wholly from the stored-value balance,
 * the gateway part of one paid partly from it, the principal paid back for a stored-value load.
 */
export const refundedAtGatewayField = (tenantId: string, orderId: string): ComputedField => ({
  path: "$.payload.amountCents",
  sql: `SELECT ${REFUNDED_CENTS_SQL} FROM (SELECT ? AS tenant_id, ? AS order_id) c`,
  args: [tenantId, orderId],
});

/**
 * A refund of `charge`, pending until the gateway says it is done: inserted only while the charge's refunds (pending
 * or succeeded) plus this one stay within the charge — one statement, so two refunds at once cannot exceed it.
 * A repeat with the same id inserts nothing.
 */
export function insertRefundStmt(db: D1Database, charge: PaymentRow, id: string, amountCents: number, reason: string) {
  return db
    .prepare(
      `INSERT INTO payments (id, tenant_id, order_id, provider, kind, amount_cents, currency, reason, refund_of)
       SELECT ?, c.tenant_id, c.order_id, c.provider, 'refund', ?, c.currency, ?, c.id FROM payments c
       WHERE c.tenant_id = ? AND c.id = ? AND ? > 0 AND NOT EXISTS (SELECT 1 FROM payments WHERE id = ?)
         AND ${REFUNDED_CENTS_SQL} + ? <= c.amount_cents`,
    )
    .bind(id, amountCents, reason, charge.tenant_id, charge.id, amountCents, id, amountCents);
}

/**
 * A refund reserved in the batch of the change it pays for (guarded on it), owing its follow-up: a crash after that
 * batch leaves it pending, so pollPendingRefunds asks the gateway under this id, and the cron records what is owed.
 */
export function reserveOwedRefundStmt(db: D1Database, charge: PaymentRow, id: string, amountCents: number, reason: string, guard: SqlGuard) {
  return db
    .prepare(
      `INSERT INTO payments (id, tenant_id, order_id, provider, kind, amount_cents, currency, reason, refund_of, follow_up)
       SELECT ?, c.tenant_id, c.order_id, c.provider, 'refund', ?, c.currency, ?, c.id, 'owed' FROM payments c
       WHERE c.tenant_id = ? AND c.id = ? AND ? > 0 AND NOT EXISTS (SELECT 1 FROM payments WHERE id = ?)
         AND ${REFUNDED_CENTS_SQL} + ? <= c.amount_cents AND ${guard.sql}`,
    )
    .bind(id, amountCents, reason, charge.tenant_id, charge.id, amountCents, id, amountCents, ...guard.args);
}

/** A reserved refund that moved no money (refused, or no gateway to ask): it fails, and nothing is owed any more. */
export function voidOwedRefundStmt(db: D1Database, tenantId: string, refundId: string) {
  return db
    .prepare("UPDATE payments SET status = 'failed', follow_up = 'void' WHERE tenant_id = ? AND id = ? AND status != 'succeeded' AND follow_up = 'owed'")
    .bind(tenantId, refundId);
}

/** Cents of the order's charge already refunded or being refunded. */
export async function refundedCentsOfOrder(db: D1Database, tenantId: string, orderId: string): Promise<number> {
  const r = await db
    .prepare(`SELECT ${REFUNDED_CENTS_SQL} AS n FROM (SELECT ? AS tenant_id, ? AS order_id) c`)
    .bind(tenantId, orderId)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

/** The order's whole-refund attempts (`rfo_<order>`, then `rfo_<order>~<n>` after refusals), oldest first. */
export async function wholeRefundAttempts(db: D1Database, tenantId: string, orderId: string) {
  const base = `rfo_${orderId}`;
  const { results } = await db
    .prepare("SELECT id, status FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND (id = ? OR id LIKE ? ESCAPE '\\') ORDER BY +created_at, id")
    .bind(tenantId, orderId, base, `${base.replace(/[\\%_]/g, (c) => `\\${c}`)}~%`)
    .all<{ id: string; status: string }>();
  return results;
}

/**
 * How many refunds of the order the gateway refused after they were recorded and whose take was given back
 * (follow_up 'undone:…'): the order's refund events after such a give-back are keyed by this count, so a rerun of the
 * same refund records nothing twice and a later refund is not dropped as a repeat of the one given back.
 */
export async function givenBackRefunds(db: D1Database, tenantId: string, orderId: string): Promise<number> {
  const r = await db
    .prepare("SELECT count(*) AS n FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND follow_up LIKE 'undone:%'")
    .bind(tenantId, orderId)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

/** Whether money of the order went back in parts (any refund not failed, other than the whole refund `wholeRefundId`). */
export async function hasPartRefunds(db: D1Database, tenantId: string, orderId: string, wholeRefundId: string): Promise<boolean> {
  const r = await db
    .prepare("SELECT EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND status != 'failed' AND id != ?) AS n")
    .bind(tenantId, orderId, wholeRefundId)
    .first<{ n: number }>();
  return (r?.n ?? 0) === 1;
}

/** An event field set from a payment row's amount by the batch that records it (0 if the row is not there). */
export const paymentAmountField = (path: `$.${string}`, paymentId: string): ComputedField => ({
  path,
  sql: "SELECT COALESCE((SELECT amount_cents FROM payments WHERE id = ?), 0)",
  args: [paymentId],
});

/** The gateway's refund id once known (a refund still processing). */
export function setRefundRefStmt(db: D1Database, tenantId: string, id: string, ref: string) {
  return db.prepare("UPDATE payments SET provider_ref = ? WHERE tenant_id = ? AND id = ? AND status = 'pending' AND provider_ref IS NULL").bind(ref, tenantId, id);
}

/** The gateway took this refund: it succeeded, or the gateway answered it is processing (its refund id is known). */
export const gatewayAnswered = (r: Pick<PaymentRow, "status" | "provider_ref">) => r.status === "succeeded" || (r.status === "pending" && r.provider_ref !== null);

/** Refunds the gateway has not finished, oldest first (the cron asks the gateway about each). */
/** Pending refunds asked (or, never asked, made) before `olderThan`, the longest unasked first (index 0245). */
export async function pendingRefunds(db: D1Database, olderThan: string, limit: number) {
  return (
    await db
      .prepare(
        `SELECT * FROM payments WHERE status = 'pending' AND kind = 'refund' AND COALESCE(polled_at, created_at) < ?
         ORDER BY COALESCE(polled_at, created_at) LIMIT ?`,
      )
      .bind(olderThan, limit)
      .all<PaymentRow>()
  ).results;
}

/** The cron asked the gateway about these pending refunds: they go behind the others (90 ids a statement: D1 binds 100). */
export function markRefundsPolledStmts(db: D1Database, ids: string[], at: string) {
  return Array.from({ length: Math.ceil(ids.length / 90) }, (_, i) => ids.slice(i * 90, i * 90 + 90)).map((chunk) =>
    db.prepare(`UPDATE payments SET polled_at = ? WHERE status = 'pending' AND id IN (${chunk.map(() => "?").join(",")})`).bind(at, ...chunk));
}

/**
 * A cashier choice: which gateway the buyer pays this pending charge through. `tenantId` null: a gateway taking the
 * charge by its unguessable payment id, as callbacks name it (the sandbox, paid there after another method was chosen).
 */
export function setChargeProviderStmt(db: D1Database, tenantId: string | null, id: string, provider: string) {
  const tenant = tenantId === null ? "" : " AND tenant_id = ?";
  return db
    .prepare(`UPDATE payments SET provider = ? WHERE id = ?${tenant} AND kind = 'charge' AND status = 'pending' RETURNING *`)
    .bind(provider, id, ...(tenantId === null ? [] : [tenantId]));
}
