/** Safety net for the refund hook: refunded orders whose earned points were never reversed (a crash in between). */
export function unreversedRefundedOrders(db: D1Database, limit: number) {
  return db.prepare(
    `SELECT o.tenant_id, o.id FROM points_lots l JOIN orders o ON o.tenant_id = l.tenant_id AND o.id = l.source_id
     WHERE l.source_kind = 'order' AND o.status = 'refunded'
       AND NOT EXISTS (SELECT 1 FROM points_movements p WHERE p.tenant_id = l.tenant_id AND p.member_id = l.member_id AND p.kind = 'reverse' AND p.source_kind = 'order' AND p.source_id = l.source_id)
     LIMIT ?`,
  ).bind(limit).all<{ tenant_id: string; id: string }>().then((r) => r.results);
}

/** Refunded orders whose first-purchase task rewards a crash left untaken back (reverseTasksOfRefund). */
export function refundedOrdersWithTaskRewards(db: D1Database, limit: number) {
  return db.prepare(
    `SELECT DISTINCT o.tenant_id, o.id FROM member_task_completions c JOIN orders o ON o.tenant_id = c.tenant_id AND o.id = c.order_id
     WHERE c.order_id IS NOT NULL AND c.reversed_at IS NULL AND o.status = 'refunded' LIMIT ?`,
  ).bind(limit).all<{ tenant_id: string; id: string }>().then((r) => r.results);
}
