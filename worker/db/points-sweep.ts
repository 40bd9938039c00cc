/**
 * Safety net for the refund hook: refunded orders whose earned points were never reversed (a crash in between). Read
 * from the lots a refund marked due (0221); the reversal clears the mark, and checks the order's status itself.
 */
export function unreversedRefundedOrders(db: D1Database, limit: number) {
  return db.prepare("SELECT DISTINCT tenant_id, source_id AS id FROM points_lots WHERE reverse_due = 1 LIMIT ?")
    .bind(limit).all<{ tenant_id: string; id: string }>().then((r) => r.results);
}

/** Refunded orders whose first-purchase task rewards a crash left untaken back (reverseTasksOfRefund), marked due (0221). */
export function refundedOrdersWithTaskRewards(db: D1Database, limit: number) {
  return db.prepare("SELECT DISTINCT tenant_id, order_id AS id FROM member_task_completions WHERE reverse_due = 1 AND reversed_at IS NULL LIMIT ?")
    .bind(limit).all<{ tenant_id: string; id: string }>().then((r) => r.results);
}
