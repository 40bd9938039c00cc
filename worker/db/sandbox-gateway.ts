import { paymentByIdStmt, type PaymentRow } from "./payments";

export interface SandboxTxnRow {
  gateway_ref: string;
  tenant_id: string;
  kind: "payment" | "refund";
  merchant_ref: string;
  payment_id: string;
  amount_cents: number;
  fee_cents: number;
  state: string;
  payer_account: string | null;
  booked_at: string;
}

const TXN_COLUMNS = "gateway_ref, tenant_id, kind, merchant_ref, payment_id, amount_cents, fee_cents, state, payer_account";

/** Books the transaction once per (kind, merchant_ref) and returns the booked row (the first booking wins), in one round trip. */
export async function bookSandboxTxn(db: D1Database, row: Omit<SandboxTxnRow, "booked_at">): Promise<SandboxTxnRow> {
  const [, booked] = await db.batch<SandboxTxnRow>([
    db
      .prepare(
        `INSERT INTO sandbox_gateway_txns (${TXN_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, merchant_ref) DO NOTHING`,
      )
      .bind(row.gateway_ref, row.tenant_id, row.kind, row.merchant_ref, row.payment_id, row.amount_cents, row.fee_cents, row.state, row.payer_account),
    sandboxTxnStmt(db, row.kind, row.merchant_ref),
  ]);
  return booked!.results[0]!;
}

/**
 * The buyer pays a charge at the sandbox, in one round trip: the gateway books a pending charge opened at the sandbox
 * once with its fee (0.6 %, rounded half up, as WeChat Pay and Alipay charge), and the payment and the booking are read
 * back. Nothing is booked for an unknown, settled or non-charge payment, nor for one opened at another gateway (the
 * caller moves it here first, services/cashier.ts startPayment); a charge the gateway closed keeps its closed booking
 * (the first booking wins).
 */
export async function paySandboxCharge(db: D1Database, paymentId: string, gatewayRef: string, payerAccount: string | null) {
  const [, payment, txn] = await db.batch([
    db
      .prepare(
        `INSERT INTO sandbox_gateway_txns (${TXN_COLUMNS})
         SELECT ?, tenant_id, 'payment', id, id, amount_cents, (amount_cents * 6 + 500) / 1000, 'paid', ? FROM payments
         WHERE id = ? AND kind = 'charge' AND status = 'pending' AND provider = 'sandbox'
         ON CONFLICT (kind, merchant_ref) DO NOTHING`,
      )
      .bind(gatewayRef, payerAccount, paymentId),
    paymentByIdStmt(db, paymentId),
    sandboxTxnStmt(db, "payment", paymentId),
  ]);
  return { payment: payment!.results[0] as PaymentRow | undefined, txn: txn!.results[0] as SandboxTxnRow | undefined };
}

/**
 * Charges the sandbox took, booked in (after, before), whose payment here is still pending: their notice was never
 * acknowledged (the runtime died between the gateway's booking and the merchant's answer). Newest first, so one the
 * merchant keeps refusing cannot hold back a newer one.
 */
export function unacknowledgedSandboxCharges(db: D1Database, after: string, before: string, limit: number) {
  return db
    .prepare(
      `SELECT t.*, p.order_id, p.currency FROM sandbox_gateway_txns t JOIN payments p ON p.id = t.payment_id
       WHERE t.kind = 'payment' AND t.state = 'paid' AND t.booked_at > ? AND t.booked_at < ? AND p.status = 'pending'
       ORDER BY t.booked_at DESC LIMIT ?`,
    )
    .bind(after, before, limit)
    .all<SandboxTxnRow & { order_id: string; currency: string }>()
    .then((r) => r.results);
}

export function getSandboxTxn(db: D1Database, kind: "payment" | "refund", merchantRef: string) {
  return sandboxTxnStmt(db, kind, merchantRef).first<SandboxTxnRow>();
}

const sandboxTxnStmt = (db: D1Database, kind: "payment" | "refund", merchantRef: string) =>
  db.prepare("SELECT * FROM sandbox_gateway_txns WHERE kind = ? AND merchant_ref = ?").bind(kind, merchantRef);

/** What has been refunded of a payment's charge (one bound parameter: the payment id). */
const REFUNDED = "SELECT COALESCE(SUM(amount_cents), 0) FROM sandbox_gateway_txns WHERE kind = 'refund' AND payment_id = ? AND state != 'failed'";

/** The sandbox finishes a refund it answered "processing" (an async-refund payer's): succeeded or failed, once. */
export function settleSandboxRefund(db: D1Database, refundId: string, state: "succeeded" | "failed") {
  return db.prepare("UPDATE sandbox_gateway_txns SET state = ? WHERE kind = 'refund' AND merchant_ref = ? AND state = 'processing'").bind(state, refundId).run();
}

/** A payment's charge with what has been refunded of it, in one round trip (the gateway's query answer). */
export function sandboxChargeWithRefunds(db: D1Database, paymentId: string) {
  return db
    .prepare(
      `SELECT c.*, (${REFUNDED}) AS refunded_cents
       FROM sandbox_gateway_txns c WHERE c.kind = 'payment' AND c.merchant_ref = ?`,
    )
    .bind(paymentId, paymentId)
    .first<SandboxTxnRow & { refunded_cents: number }>();
}

/** Refunds booked against a charge (for the remaining refundable amount). */
export async function sandboxRefundedCents(db: D1Database, paymentId: string): Promise<number> {
  const r = await db.prepare(`SELECT (${REFUNDED}) AS n`).bind(paymentId).first<{ n: number }>();
  return r?.n ?? 0;
}

/** A charge closed before being paid: recorded so a later pay attempt is refused. */
export function closeSandboxCharge(db: D1Database, tenantId: string, paymentId: string, gatewayRef: string, amountCents: number) {
  return db
    .prepare(
      `INSERT INTO sandbox_gateway_txns (gateway_ref, tenant_id, kind, merchant_ref, payment_id, amount_cents, state) VALUES (?, ?, 'payment', ?, ?, ?, 'closed')
       ON CONFLICT (kind, merchant_ref) DO NOTHING`,
    )
    .bind(gatewayRef, tenantId, paymentId, paymentId, amountCents)
    .run();
}

/** Booked transactions in [from, to) (ISO times), in booking order: the statement's lines. */
export async function sandboxTxnsBetween(db: D1Database, tenantId: string, from: string, to: string) {
  return (
    await db
      .prepare("SELECT * FROM sandbox_gateway_txns WHERE tenant_id = ? AND booked_at >= ? AND booked_at < ? AND state IN ('paid', 'succeeded') ORDER BY booked_at, gateway_ref")
      .bind(tenantId, from, to)
      .all<SandboxTxnRow>()
  ).results;
}
