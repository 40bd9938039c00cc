/**
 * Statements giving back what a refund took once the gateway refused it after it was recorded as made
 * (services/refund-reversal.ts). Each is for the one batch that takes the refund's 'undo' and is guarded on that take.
 */
import { guardArgs, guardSql, type SqlGuard } from "./statements";
import { REFUNDED_CENTS_SQL } from "./payments";

/** First in the batch: 'undo' → 'undone:<run>' (of two runs at once only one takes it). */
export function takeUndoStmt(db: D1Database, tenantId: string, refundId: string, run: string) {
  return db.prepare("UPDATE payments SET follow_up = ? WHERE tenant_id = ? AND id = ? AND follow_up = 'undo'").bind(`undone:${run}`, tenantId, refundId);
}

export const undoTaken = (tenantId: string, refundId: string, run: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND id = ? AND follow_up = ?)", args: [tenantId, refundId, `undone:${run}`],
});

export type TakenRight = { id: string; product_id: string; campaign_id: string | null; kind: string; holder_id: string; valid_to: string | null };

/**
 * The rights the refund took back and still holds: a part or whole refund's (vouchers.refund_id), or a complaint
 * refund's right (rfc_<complaintId>, whose right is the complaint's).
 */
export async function rightsTakenBy(db: D1Database, tenantId: string, refundId: string) {
  const { results } = await db
    .prepare(
      `SELECT id, product_id, campaign_id, kind, holder_id, valid_to FROM vouchers WHERE tenant_id = ?1 AND +status = 'refunded'
         AND (refund_id = ?2 OR (?2 LIKE 'rfc\\_%' ESCAPE '\\' AND id = (SELECT voucher_id FROM complaints WHERE tenant_id = ?1 AND id = substr(?2, 5))))
       ORDER BY +source_key`,
    )
    .bind(tenantId, refundId)
    .all<TakenRight>();
  return results;
}

/** A right back to its holder: usable again, or expired when its validity ended meanwhile. */
export function giveRightBackStmt(db: D1Database, tenantId: string, voucherId: string, guard: SqlGuard) {
  return db
    .prepare(
      `UPDATE vouchers SET status = CASE WHEN valid_to IS NOT NULL AND valid_to < strftime('%Y-%m-%dT%H:%M:%fZ', 'now') THEN 'expired' ELSE 'issued' END,
         status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), refund_id = NULL
       WHERE tenant_id = ? AND id = ? AND status = 'refunded' AND ${guardSql(guard)}`,
    )
    .bind(tenantId, voucherId, ...guardArgs(guard));
}

/**
 * An order the refused refund had closed goes back to where it was, once money is refundable on it again: delivered
 * (it was), paid, or failed when an automatic refund of a failed delivery was refused (the delivery cron retries it).
 */
export function reopenRefundedOrderStmt(db: D1Database, tenantId: string, orderId: string, guard: SqlGuard) {
  return db
    .prepare(
      `UPDATE orders SET status = CASE WHEN delivered_at IS NOT NULL THEN 'delivered'
           WHEN failure_reason IS NULL OR failure_reason LIKE 'refund:%' THEN 'paid' ELSE 'failed' END,
         failure_reason = CASE WHEN failure_reason LIKE 'refund:%' THEN NULL ELSE failure_reason END,
         refunded_at = NULL, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status = 'refunded'
         AND EXISTS (SELECT 1 FROM payments c WHERE c.tenant_id = orders.tenant_id AND c.order_id = orders.id AND c.kind = 'charge'
           AND c.status = 'succeeded' AND c.amount_cents > ${REFUNDED_CENTS_SQL})
         AND ${guardSql(guard)}
       RETURNING status`,
    )
    .bind(tenantId, orderId, ...guardArgs(guard));
}

/** A complaint refunded by this refund opens again for the brand (as when the gateway refuses it at once). */
export function reopenRefundedComplaintStmt(db: D1Database, tenantId: string, complaintId: string, guard: SqlGuard) {
  return db
    .prepare(`UPDATE complaints SET status = 'open', refund_cents = NULL, resolved_at = NULL WHERE tenant_id = ? AND id = ? AND status = 'refunded' AND ${guardSql(guard)}`)
    .bind(tenantId, complaintId, ...guardArgs(guard));
}

/**
 * Whether the refund was recorded as a part (order_partially_refunded): any but an order's whole refund is; that one
 * is when other refunds of the order stood when it was asked (it then gave back the rest, as the last part).
 */
export async function recordedAsPart(db: D1Database, tenantId: string, refund: { id: string; order_id: string; created_at: string }) {
  if (!refund.id.startsWith("rfo_")) return true;
  const r = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND id != ? AND created_at <= ?
         AND (status != 'failed' OR (follow_up LIKE 'undone:%' AND completed_at > ?))) AS n`,
    )
    .bind(tenantId, refund.order_id, refund.id, refund.created_at, refund.created_at)
    .first<{ n: number }>();
  return (r?.n ?? 0) === 1;
}
