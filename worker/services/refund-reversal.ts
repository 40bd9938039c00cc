/**
 * A refund the gateway refused AFTER it was recorded as made — it answered "processing" (WeChat Pay does for most
 * refunds; the request or the cron then recorded the refund, 退款中) and its notice or the minute poll later said it
 * failed. Failing the row marks what the refund took as owed back (payments.follow_up 'undo', db/payments.ts
 * failRefundStmt, same statement); one batch here takes that mark and gives everything back, so a second poll, a
 * duplicate notice, two crons or a crash between the refusal and this batch give nothing back twice.
 *
 * What goes back (what the refund took from the buyer, which is safe to return): the rights it took (vouchers, card
 * keys shown to the buyer again — or `expired` when their validity ended meanwhile), the order it had closed (back to
 * delivered / paid, or failed for an automatic refund of a failed delivery, which the delivery cron retries), the
 * complaint it refunded (open again for the brand). Recorded: order_refund_failed (answers the refund's events, so
 * refunds / LTV / ROI stop counting it), a ledger step per right given back (voucher_compensated, action
 * refund_reversed, its share of the money negative) — or money_refund_reversed on the order's first right for a
 * money-only refund — which settlement counts back, and an alert (kind refund_failed).
 * What the refund moved when it closed the order — stored value returned to the wallet, coupons returned, points
 * and member growth taken back — is NOT reversed: the buyer may have spent the balance or used the coupon again, and
 * each of those moves is keyed once per order, so the order's real refund later (the operator refunds it again) does
 * not repeat them — reversing them now would leave that refund giving nothing back. The alert says the order had been
 * closed (closedOrder, with its balance part) so the operator can settle it by hand if the order is not refunded again.
 */
import type { PaymentRow } from "../db/payments";
import { refundsOwingUndo } from "../db/payments";
import { getOrderRow } from "../db/orders";
import { firstVoucherOfOrder } from "../db/order-console";
import {
  giveRightBackStmt, recordedAsPart, reopenRefundedComplaintStmt, reopenRefundedOrderStmt, rightsTakenBy, takeUndoStmt, undoTaken,
} from "../db/refund-reversal";
import { allOf, type SqlGuard } from "../db/statements";
import { newId } from "../domain/crypto";
import { shareOf } from "../domain/after-sale";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { MONEY_REFUND_REVERSED, REFUND_REVERSED } from "../domain/refund-reversal";
import { winCostHandedBack } from "./campaign-lapse";

/** Gives back what the refused refund `refund` (follow_up 'undo') took; false when another run already did. */
export async function giveBackRefusedRefund(env: Env, refund: PaymentRow): Promise<boolean> {
  const db = env.DB;
  const t = refund.tenant_id;
  const order = await getOrderRow(db, t, refund.order_id);
  const rights = await rightsTakenBy(db, t, refund.id);
  const moneyOn = rights.length === 0 && refund.id.startsWith("rf_") ? await firstVoucherOfOrder(db, t, refund.order_id) : null;
  const run = newId("ud");
  const mine = undoTaken(t, refund.id, run);
  const now = new Date().toISOString();
  const expired = rights.filter((v) => v.valid_to && v.valid_to < now);
  const closedOrder = order?.status === "refunded";
  const inParts = await recordedAsPart(db, t, refund);
  const complaintId = refund.id.startsWith("rfc_") ? refund.id.slice("rfc_".length) : null;
  const reason = (refund.failure_reason ?? "refused").slice(0, 120);
  const isNow = (id: string, status: string): SqlGuard => allOf({ sql: "EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = ?)", args: [t, id, status] }, mine);
  const [taken] = await db.batch([
    takeUndoStmt(db, t, refund.id, run),
    ...rights.map((v) => giveRightBackStmt(db, t, v.id, mine)),
    ...(order ? [reopenRefundedOrderStmt(db, t, order.id, mine)] : []),
    ...(complaintId ? [reopenRefundedComplaintStmt(db, t, complaintId, mine)] : []),
    ...[...rights, ...(moneyOn ? [{ ...moneyOn, valid_to: null }] : [])].flatMap((v, i) => eventRows(env, [{
      eventId: `evrr_${refund.id}_${i}`, tenantId: t, type: "voucher_compensated", actor: { userId: v.holder_id },
      payload: {
        voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, refundId: refund.id, action: moneyOn ? MONEY_REFUND_REVERSED : REFUND_REVERSED,
        amountCents: -shareOf(refund.amount_cents, Math.max(1, rights.length), i), ...(complaintId ? { complaintId } : {}),
      },
    }], moneyOn ? mine : allOf({ sql: "NOT EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = 'refunded')", args: [t, v.id] }, mine))),
    ...expired.flatMap((v, i) => eventRows(env, [{
      eventId: `evrx_${refund.id}_${i}`, tenantId: t, type: "voucher_expired", actor: { userId: v.holder_id },
      payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind },
    }], isNow(v.id, "expired"))),
    ...(order ? eventRows(env, [{
      eventId: `evorf_${refund.id}`, tenantId: t, type: "order_refund_failed", actor: { userId: order.buyer_id },
      payload: {
        orderId: order.id, productId: order.product_id, campaignId: order.campaign_id, refundId: refund.id, amountCents: refund.amount_cents,
        restoredUnits: rights.length - expired.length, expiredUnits: expired.length, reopened: closedOrder, inParts, reason,
        // The refund that closed a flash-sale win handed its cost back to ROI (order_refunded): it counts again.
        ...(closedOrder ? { costCents: (await winCostHandedBack(env, order)).costCents } : {}),
      },
    }, {
      eventId: `evarf_${refund.id}`, tenantId: t, type: "alert",
      payload: { kind: "refund_failed", orderId: order.id, refundId: refund.id, amountCents: refund.amount_cents, reason, closedOrder, storedValueCents: closedOrder ? order.stored_value_cents ?? 0 : 0 },
    }], mine) : []),
  ]);
  await scheduleDispatch(env);
  return (taken!.meta.changes ?? 0) > 0;
}

/** Cron: refused refunds whose give-back a crash interrupted. */
export async function finishRefusedRefunds(env: Env, limit = 50): Promise<number> {
  let done = 0;
  for (const refund of await refundsOwingUndo(env.DB, limit)) {
    try {
      if (await giveBackRefusedRefund(env, refund)) done++;
    } catch (e) {
      console.error(JSON.stringify({ at: "finishRefusedRefunds", refundId: refund.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return done;
}
