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
  return db.prepare("SELECT * FROM payments WHERE id = ?").bind(id).first<PaymentRow>();
}

export function getChargeOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare("SELECT * FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'charge' ORDER BY created_at DESC LIMIT 1")
    .bind(tenantId, orderId)
    .first<PaymentRow>();
}

export function getSucceededRefundOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare("SELECT * FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND status = 'succeeded' LIMIT 1")
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

/** The order's charge payment id, if one was opened. */
export async function chargeIdOfOrder(db: D1Database, tenantId: string, orderId: string): Promise<string | null> {
  const r = await db.prepare("SELECT id FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'charge' LIMIT 1").bind(tenantId, orderId).first<{ id: string }>();
  return r?.id ?? null;
}
