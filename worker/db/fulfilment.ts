import { ORDER_BALANCE_HELD_SQL } from "./stored-value";
/** The statements of payment acceptance, delivery and refunds (services/fulfilment.ts composes them into batches). */
import { DELIVERY_LEASE_SQL } from "./orders";

/** The payment and, reached only through it (a notice cannot name another tenant's rows), its order, product and reserved keys. */
export function noticeReadStmts(db: D1Database, paymentId: string) {
  const viaPayment = "JOIN payments p ON p.tenant_id = o.tenant_id AND p.order_id = o.id WHERE p.id = ?";
  return [
    db.prepare("SELECT * FROM payments WHERE id = ?").bind(paymentId),
    db.prepare(`SELECT o.* FROM orders o ${viaPayment}`).bind(paymentId),
    db.prepare(`SELECT pr.* FROM products pr JOIN orders o ON o.tenant_id = pr.tenant_id AND o.product_id = pr.id ${viaPayment}`).bind(paymentId),
    db
      .prepare(
        // `+`: through the order's index, not every reserved key of the product (see db/card-keys.ts).
        `SELECT k.id, k.secret_enc, k.secret_hash, k.reusable, k.batch_id FROM card_keys k
         JOIN orders o ON o.tenant_id = k.tenant_id AND o.id = k.order_id AND o.product_id = +k.product_id ${viaPayment}
           AND +k.status = 'reserved' ORDER BY k.id`,
      )
      .bind(paymentId),
    // Whether the buyer is a member, or an invitee whose first paid order is still to come (see buyerStandingSql).
    db.prepare(`SELECT ${buyerStandingSql("o.tenant_id", "o.buyer_id")} FROM orders o ${viaPayment}`).bind(paymentId),
  ];
}

/** What the payment's member and invite statements apply to: `member`, `invitee` (1/0). */
export type BuyerStanding = { member: number; invitee: number };
const buyerStandingSql = (t: string, buyer: string) =>
  `EXISTS (SELECT 1 FROM members WHERE tenant_id = ${t} AND buyer_id = ${buyer}) AS member,
   EXISTS (SELECT 1 FROM invites WHERE tenant_id = ${t} AND invitee_id = ${buyer} AND status = 'accepted' AND first_order_id IS NULL) AS invitee`;

/** Those reads in one round trip (services/fulfilment.ts acceptPaymentNotice's `read`). */
export const readNotice = (db: D1Database, paymentId: string) => db.batch(noticeReadStmts(db, paymentId));

/**
 * Last in a payment's batch: whether it made a paid-card term or qualified an invite, the follow-ups that need more;
 * and the buyer's standing as of the commit (a member or invitee the read before it did not see yet).
 */
export function paidFollowUpsStmt(db: D1Database, t: string, orderId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM paid_card_terms WHERE order_id = ?1) AS paid_card,
              EXISTS (SELECT 1 FROM invites WHERE tenant_id = ?2 AND first_order_id = ?1) AS invite,
              ${buyerStandingSql("?2", "?3")}`,
    )
    .bind(orderId, t, buyerId);
}

/** unpaid → paid (with the delivery lease), only when this very payment succeeded with this gateway reference. */
export function markPaidByPaymentStmt(
  db: D1Database, t: string, orderId: string, amountCents: number, unpaid: readonly string[], paymentId: string, gatewayTxnId: string,
) {
  return db
    .prepare(
      `UPDATE orders SET status = 'paid', paid_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
         ${DELIVERY_LEASE_SQL}
       WHERE tenant_id = ? AND id = ? AND amount_cents - stored_value_cents = ? AND ${ORDER_BALANCE_HELD_SQL} AND status IN (${unpaid.map(() => "?").join(",")})
         AND EXISTS (SELECT 1 FROM payments WHERE id = ? AND status = 'succeeded' AND provider_ref = ?)
       RETURNING *`,
    )
    .bind(t, orderId, amountCents, ...unpaid, paymentId, gatewayTxnId);
}

export function vouchersOfOrderStmt(db: D1Database, t: string, orderId: string) {
  return db.prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND order_id = ? ORDER BY +source_key").bind(t, orderId);
}

/** paid → delivered, only with every voucher of the order in place (a guarded insert that did not happen keeps it 'paid'). */
export function markDeliveredStmt(db: D1Database, t: string, orderId: string, vouchers: number) {
  return db
    .prepare(
      `UPDATE orders SET status = 'delivered', delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status = 'paid' AND (SELECT COUNT(*) FROM vouchers WHERE tenant_id = ? AND order_id = ?) >= ?
       RETURNING *`,
    )
    .bind(t, orderId, t, orderId, vouchers);
}

/** A key bought upstream for this order, stored already delivered (batch `supplier:<id>`). */
export function insertSupplierKeyStmt(
  db: D1Database, t: string, productId: string, orderId: string, supplierId: string, ref: { id: string; secret_enc: string; secret_hash: string },
) {
  return db
    .prepare(
      `INSERT INTO card_keys (id, tenant_id, product_id, secret_enc, secret_hash, status, order_id, delivered_at, batch_id)
       VALUES (?, ?, ?, ?, ?, 'delivered', ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?) ON CONFLICT (tenant_id, secret_hash) DO NOTHING`,
    )
    .bind(ref.id, t, productId, ref.secret_enc, ref.secret_hash, orderId, `supplier:${supplierId}`);
}

export function redeemedOfOrderStmt(db: D1Database, t: string, orderId: string) {
  return db.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND order_id = ? AND +status = 'redeemed'").bind(t, orderId);
}

/** Undo of a refund that did not go through: the voucher is issued again, the order back to what it was. */
export function unrefundVoucherStmt(db: D1Database, t: string, id: string) {
  return db.prepare("UPDATE vouchers SET status = 'issued', refund_id = NULL WHERE tenant_id = ? AND id = ? AND status = 'refunded'").bind(t, id);
}

export function restoreFailedOrderStmt(db: D1Database, t: string, orderId: string, status: string, failureReason: string | null) {
  return db.prepare("UPDATE orders SET status = ?, failure_reason = ? WHERE tenant_id = ? AND id = ? AND status = 'failed'").bind(status, failureReason, t, orderId);
}
