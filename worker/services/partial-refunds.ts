/**
 * Console refunds, full or partial (issue 21 item 4). The refund row is reserved first in one guarded statement
 * (never more than the charge minus every refund not failed, so two operators at once cannot over-refund), with the
 * rights it takes back; then the gateway is asked; a refusal fails the row and gives the rights back.
 *
 * Rights rule: a refund names `units` — that many unredeemed vouchers of the order (the last issued first) become
 * 'refunded' with it (voucher_refunded → the ledger's refund entries); units 0 is a money-only goodwill refund that
 * leaves every right usable. Refunding everything left takes back every unredeemed right, and when no refund came
 * before it is the order refund of services/fulfilment.ts (points, member growth, coupons, stored value go back too).
 * When partial refunds add up to the whole charge, the order becomes 'refunded'.
 */
import type { ConsoleRefund, ConsoleRefundInput, PaymentRecord } from "../../schema/after-sale";
import { getOrderRow, toOrder, type OrderRow } from "../db/orders";
import { listVouchersByOrder } from "../db/vouchers";
import {
  firstVoucherOfOrder, followUpTaken, getPaymentRecord, latestTakenRefund, orderFullyRefundedStmt, owedFollowUps, refundedVoucherIds, refundableOf, refundUnitsStmt, reserveRefundStmt,
  rightsOfPartRefund, takeFollowUpStmt, voidPartRefundStmts, type PaymentRecordRow,
} from "../db/order-console";
import { completePaymentStmt, gatewayAnswered, getPaymentById, refundedAtGatewayField, type PaymentRow } from "../db/payments";
import { allOf, type SqlGuard } from "../db/statements";
import { paidFromBalance, refundPlan, shareOf } from "../domain/after-sale";
import { newId } from "../domain/crypto";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { recordedEventIds } from "../db/event-outbox";
import { refundOrder, refundRound, storedValuePart } from "./fulfilment";
import { winCostHandedBack } from "./campaign-lapse";
import { hasPendingSupplierOrder } from "../db/suppliers";
import { refundCharge } from "./refunds";
import { orderRefundMemberStmts } from "./membership";
import { orderRefundPointsStmts } from "./points";
import { returnOrderBalanceStmts } from "./stored-value";
import { returnCouponsOnClose } from "./coupons";
import { returnMallExchangeOfOrder } from "./mall";
import { reverseInviteOfRefund } from "./invites";
import { reverseTasksOfRefund } from "./member-activity";

/** The action of a money-only refund's ledger entry (voucher_compensated), which settlement counts as money paid out. */
export const MONEY_REFUND = "money_refund";

export const toPaymentRecord = (r: PaymentRecordRow): PaymentRecord => ({
  id: r.id, kind: r.kind, provider: r.provider, amountCents: r.amount_cents, status: r.status, providerRef: r.provider_ref,
  reason: r.reason ?? null, failureReason: r.failure_reason ?? null, createdAt: r.created_at, completedAt: r.completed_at,
});

/** The gateway is asked through services/refunds.ts (the row is already reserved under `refundId`). */
async function askRefund(env: Env, charge: PaymentRow, amountCents: number, reason: string, refundId: string): Promise<{ state: "succeeded" | "processing" | "failed" }> {
  const outcome = await refundCharge(env, charge, amountCents, reason, refundId);
  if (outcome === "succeeded" || outcome === "processing") return { state: outcome };
  // Refused, or no provider to ask: the reservation fails, so the rights go back below.
  await completePaymentStmt(env.DB, charge.tenant_id, refundId, "failed", null).run();
  return { state: "failed" };
}

export type RefundOutcome = ConsoleRefund & { state: "succeeded" | "processing" };

export async function consoleRefund(env: Env, tenantId: string, orderId: string, input: ConsoleRefundInput, byKeyId: string | null): Promise<RefundOutcome> {
  const db = env.DB;
  const order = await getOrderRow(db, tenantId, orderId);
  if (!order) throw ApiError.notFound("Order");
  // A recharge a supplier is still working on may yet go through: refunding now could leave the buyer with the money
  // and the recharge. Its outcome settles the order (a failure is refunded automatically); refund after that.
  if (order.status === "paid" && (await hasPendingSupplierOrder(db, tenantId, orderId))) {
    throw ApiError.conflict("supplier_pending", "A supplier is still working on this order's recharge: wait for its outcome (a failure is refunded automatically)");
  }
  const left = await refundableOf(db, tenantId, orderId);
  if (!left && paidFromBalance(order)) return balanceOrder(env, order, input, byKeyId);
  if (!left) throw ApiError.conflict("order_not_refundable", `An order in status '${order.status}' has no payment to refund`);
  const plan = refundPlan(input, { refundableCents: left.refundable, issuedUnits: left.issued });
  if (!plan.ok) throw ApiError.conflict(plan.code, plan.message);
  if (plan.full && left.refunds === 0) return wholeOrder(env, order, input.reason, byKeyId);
  if (!["paid", "delivered"].includes(order.status)) throw ApiError.conflict("order_not_refundable", `An order in status '${order.status}' cannot be refunded`);

  const refundId = newId("rf");
  const [reserved] = await db.batch([
    reserveRefundStmt(db, tenantId, left.charge_id, refundId, plan.amountCents, plan.units, input.reason),
    refundUnitsStmt(db, tenantId, orderId, plan.units, refundId),
  ]);
  if (!reserved!.results.length) throw ApiError.conflict("over_refund", "Another refund changed what is left on this order; reload and try again");
  const charge = (await getPaymentById(db, left.charge_id))!;
  const done = await askRefund(env, charge, plan.amountCents, input.reason, refundId);
  if (done.state === "failed") {
    await db.batch(voidPartRefundStmts(db, tenantId, orderId, refundId));
    throw new ApiError(502, "refund_failed", "The payment provider refused the refund; nothing was refunded");
  }
  const row = (await getPaymentById(db, refundId))!;
  // Not heard from the gateway (a timeout): the rights stay taken (退款中) and the record waits for its answer —
  // the cron asks it under the same id and records the refund only once the gateway has taken it.
  const { now, voided } = gatewayAnswered(row)
    ? await followUpPart(env, order, row, byKeyId)
    : { now: (await getOrderRow(db, tenantId, orderId))!, voided: (await rightsOfPartRefund(db, tenantId, orderId, refundId)).map((v) => v.id) };
  const after = await refundableOf(db, tenantId, orderId);
  return {
    refund: toPaymentRecord((await getPaymentRecord(db, tenantId, refundId))!), balanceReturnedCents: now.status === "refunded" ? order.stored_value_cents ?? 0 : 0,
    order: toOrder(now), refundableCents: after?.refundable ?? 0, voidedVoucherIds: voided, state: done.state === "processing" ? "processing" : "succeeded",
  };
}

/**
 * What a part refund the gateway took (or is processing) records, once — by the request that made it, or by the cron
 * when that request died after the reservation (finishPartRefunds): order_partially_refunded, voucher_refunded for
 * each right it took back (the ledger's refund entries), and the order closed when nothing is left. Every statement
 * after the take is guarded on this run having taken the owed follow-up.
 */
async function followUpPart(env: Env, order: OrderRow, refund: PaymentRow, byKeyId: string | null) {
  const db = env.DB;
  const t = order.tenant_id;
  const refundId = refund.id;
  const reason = refund.reason ?? "";
  const voided = await rightsOfPartRefund(db, t, order.id, refundId);
  // A money-only refund changes no right, but the ledger still records the money on the order's first right, so the
  // signed settlement statement (which counts ledger entries) sees what the gateway paid back.
  const moneyOn = voided.length === 0 ? await firstVoucherOfOrder(db, t, order.id) : null;
  // A right refunded before, whose refund the gateway refused (services/refund-reversal.ts), is refunded again under
  // its own event (the first one's id, evr_<voucher>, is taken), named by this refund so the ledger records it too.
  const taken = await recordedEventIds(db, voided.map((v) => `evr_${v.id}`));
  const run = newId("fu");
  const mine = followUpTaken(t, refundId, run);
  const [, closed] = await db.batch([
    takeFollowUpStmt(db, t, refundId, run),
    orderFullyRefundedStmt(db, t, order.id),
    ...eventRows(env, [{
      eventId: `evopr_${refundId}`, tenantId: t, type: "order_partially_refunded", actor: { apiKeyId: byKeyId, userId: order.buyer_id },
      payload: { orderId: order.id, productId: order.product_id, campaignId: order.campaign_id, refundId, amountCents: refund.amount_cents, units: voided.length, reason },
    }], mine),
    ...voided.flatMap((v, i) => eventRows(env, [{
      eventId: taken.has(`evr_${v.id}`) ? `evr_${v.id}_${refundId}` : `evr_${v.id}`, tenantId: t, type: "voucher_refunded", actor: { apiKeyId: byKeyId, userId: v.holder_id },
      payload: {
        voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, orderId: order.id, amountCents: shareOf(refund.amount_cents, voided.length, i), reason,
        ...(taken.has(`evr_${v.id}`) ? { refundId } : {}),
      },
    }], allOf({ sql: "EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = 'refunded')", args: [t, v.id] }, mine))),
    ...(moneyOn ? eventRows(env, [{
      eventId: `evmr_${refundId}`, tenantId: t, type: "voucher_compensated", actor: { apiKeyId: byKeyId, userId: moneyOn.holder_id },
      payload: { voucherId: moneyOn.id, productId: moneyOn.product_id, campaignId: moneyOn.campaign_id, kind: moneyOn.kind, refundId, action: MONEY_REFUND, amountCents: refund.amount_cents },
    }], mine) : []),
    ...(await lastPartStmts(env, order, refundId, reason, byKeyId, mine)),
  ]);
  const now = (closed!.results[0] as OrderRow | undefined) ?? (await getOrderRow(db, t, order.id))!;
  if (now.status === "refunded") await afterLastPart(env, order);
  await scheduleDispatch(env);
  return { now, voided: voided.map((v) => v.id) };
}

/**
 * Cron: part refunds a crash left between their reservation and their follow-up (reserved over two minutes ago, so
 * the request that made them is over). One the gateway refused gives its rights back; one it took (succeeded, or
 * processing there) is recorded as its request would have. One it never answered is left to pollPendingRefunds, which
 * asks it under the same id: it is never recorded as made before the gateway says so.
 */
export async function finishPartRefunds(env: Env, limit = 50): Promise<number> {
  const db = env.DB;
  let finished = 0;
  for (const refund of await owedFollowUps(db, new Date(Date.now() - 120_000).toISOString(), limit, "rf\\_%")) {
    try {
      if (refund.status === "failed") {
        await db.batch(voidPartRefundStmts(db, refund.tenant_id, refund.order_id, refund.id));
      } else if (!gatewayAnswered(refund)) {
        continue; // never asked, or its answer lost: pollPendingRefunds asks the gateway first
      } else {
        const order = await getOrderRow(db, refund.tenant_id, refund.order_id);
        if (!order) continue;
        await followUpPart(env, order, refund, null);
      }
      finished++;
    } catch (e) {
      console.error(JSON.stringify({ at: "finishPartRefunds", refundId: refund.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return finished;
}

/**
 * The last part of the charge refunds the order (orderFullyRefundedStmt earlier in the same batch): everything a whole
 * refund gives back goes back with it, once, guarded on the order being refunded — member growth, points, the stored
 * value it spent, the coupons it used — and its order_refunded event, whose amountCents is every part given back at the
 * gateway (the parts' sum: the balance part of the order goes back to the wallet, not through the gateway).
 */
export async function lastPartStmts(env: Env, order: OrderRow, refundId: string, reason: string, byKeyId: string | null, also?: SqlGuard): Promise<D1PreparedStatement[]> {
  const t = order.tenant_id;
  const refunded = allOf({ sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'refunded')", args: [t, order.id] }, also);
  return [
    ...orderRefundMemberStmts(env, t, order.id, refunded),
    ...orderRefundPointsStmts(env, t, order.id),
    ...returnOrderBalanceStmts(env, t, order.id, refunded),
    ...((order.discount_cents ?? 0) > 0 ? await returnCouponsOnClose(env, t, order.id, refunded, reason) : []),
    ...eventRows(env, [{
      eventId: `evor_${order.id}${await refundRound(env.DB, t, order.id)}`, tenantId: t, type: "order_refunded", actor: { ...(byKeyId ? { apiKeyId: byKeyId } : {}), userId: order.buyer_id },
      payload: { orderId: order.id, productId: order.product_id, ...(order.campaign_id ? { campaignId: order.campaign_id } : {}), amountCents: 0, ...storedValuePart(order), reason, automatic: false, inParts: true, ...(await winCostHandedBack(env, order)) },
    }], refunded, [refundedAtGatewayField(t, order.id)]),
  ];
}

/** Once the last part refunded the order: a points-mall exchange it paid for and an invite it qualified are undone (each checks its own state). */
export async function afterLastPart(env: Env, order: OrderRow): Promise<void> {
  await returnMallExchangeOfOrder(env, order.tenant_id, order.id);
  await reverseInviteOfRefund(env, order.tenant_id, order.id);
  await reverseTasksOfRefund(env, order.tenant_id, order.id);
}

/**
 * An order the balance paid in full has no charge: the form's refund is the order refund, which gives the balance
 * part back to the member's wallet (once: the order is claimed first, and the wallet's movement is keyed by order).
 */
async function balanceOrder(env: Env, order: OrderRow, input: ConsoleRefundInput, byKeyId: string | null): Promise<RefundOutcome> {
  const issued = (await listVouchersByOrder(env.DB, order.tenant_id, order.id)).filter((v) => v.status === "issued").length;
  const plan = refundPlan(input, { refundableCents: order.stored_value_cents ?? 0, issuedUnits: issued });
  if (!plan.ok) throw ApiError.conflict(plan.code, plan.message);
  if (!plan.full) throw ApiError.conflict("balance_refund_whole", "This order was paid from the stored-value balance: it is refunded whole, back to the balance");
  return wholeOrder(env, order, input.reason, byKeyId);
}

/** Everything, with no refund before: the order refund of services/fulfilment.ts (refused when a right was used). */
async function wholeOrder(env: Env, order: OrderRow, reason: string, byKeyId: string | null): Promise<RefundOutcome> {
  const refunded = await refundOrder(env, order.tenant_id, order.id, reason, byKeyId ?? "");
  await scheduleDispatch(env);
  const refund = await latestTakenRefund(env.DB, order.tenant_id, order.id);
  // No gateway refund is expected only when the balance paid everything.
  if (!refund && !paidFromBalance(order)) throw new ApiError(502, "refund_failed", "The refund was not recorded");
  return {
    refund: refund ? toPaymentRecord(refund) : null, balanceReturnedCents: order.stored_value_cents ?? 0,
    order: toOrder(refunded), refundableCents: 0, voidedVoucherIds: await refundedVoucherIds(env.DB, order.tenant_id, order.id),
    state: refund?.status === "pending" ? "processing" : "succeeded",
  };
}
