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
  firstVoucherOfOrder, getPaymentRecord, latestTakenRefund, orderFullyRefundedStmt, refundedVoucherIds, refundableOf, refundUnitsStmt, reserveRefundStmt, unrefundVouchersStmt, type PaymentRecordRow,
} from "../db/order-console";
import { completePaymentStmt, getPaymentById, refundedAtGatewayField, type PaymentRow } from "../db/payments";
import { paidFromBalance, refundPlan, shareOf } from "../domain/after-sale";
import { newId } from "../domain/crypto";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { refundOrder, storedValuePart } from "./fulfilment";
import { hasPendingSupplierOrder } from "../db/suppliers";
import { refundCharge } from "./refunds";
import { orderRefundMemberStmts } from "./membership";
import { orderRefundPointsStmts } from "./points";
import { returnOrderBalanceStmts } from "./stored-value";
import { returnCouponsOnClose } from "./coupons";
import { returnMallExchangeOfOrder } from "./mall";
import { reverseInviteOfRefund } from "./invites";
import { reverseTasksOfRefund } from "./member-activity";

type RightRow = { id: string; product_id: string; campaign_id: string | null; kind: string; holder_id: string };

/** The action of a money-only refund's ledger entry (voucher_compensated), which settlement counts as money paid out. */
export const MONEY_REFUND = "money_refund";

export const toPaymentRecord = (r: PaymentRecordRow): PaymentRecord => ({
  id: r.id, kind: r.kind, provider: r.provider, amountCents: r.amount_cents, status: r.status, providerRef: r.provider_ref,
  reason: r.reason ?? null, createdAt: r.created_at, completedAt: r.completed_at,
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
  const [reserved, taken] = await db.batch([
    reserveRefundStmt(db, tenantId, left.charge_id, refundId, plan.amountCents, plan.units, input.reason),
    refundUnitsStmt(db, tenantId, orderId, plan.units, refundId),
  ]);
  if (!reserved!.results.length) throw ApiError.conflict("over_refund", "Another refund changed what is left on this order; reload and try again");
  const voided = taken!.results as RightRow[];
  // A money-only refund changes no right, but the ledger still records the money on the order's first right, so the
  // signed settlement statement (which counts ledger entries) sees what the gateway paid back.
  const moneyOn = voided.length === 0 ? await firstVoucherOfOrder(db, tenantId, orderId) : null;
  const charge = (await getPaymentById(db, left.charge_id))!;
  const done = await askRefund(env, charge, plan.amountCents, input.reason, refundId);
  if (done.state === "failed") {
    if (voided.length) await unrefundVouchersStmt(db, tenantId, voided.map((v) => v.id)).run();
    throw new ApiError(502, "refund_failed", "The payment provider refused the refund; nothing was refunded");
  }
  // A refund the gateway accepted and is still processing counts as made (services/refunds.ts finishes it; a later
  // failure there records refund_settled with state failed for the operator).
  const succeeded = { sql: "EXISTS (SELECT 1 FROM payments WHERE tenant_id = ? AND id = ? AND status IN ('succeeded', 'pending'))", args: [tenantId, refundId] };
  const [closed] = await db.batch([
    orderFullyRefundedStmt(db, tenantId, orderId),
    ...eventRows(env, [{
      eventId: `evopr_${refundId}`, tenantId, type: "order_partially_refunded", actor: { apiKeyId: byKeyId, userId: order.buyer_id },
      payload: { orderId, productId: order.product_id, campaignId: order.campaign_id, refundId, amountCents: plan.amountCents, units: voided.length, reason: input.reason },
    }], succeeded),
    ...voided.flatMap((v, i) => eventRows(env, [{
      eventId: `evr_${v.id}`, tenantId, type: "voucher_refunded", actor: { apiKeyId: byKeyId, userId: v.holder_id },
      payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, orderId, amountCents: shareOf(plan.amountCents, voided.length, i), reason: input.reason },
    }], { sql: "EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = 'refunded')", args: [tenantId, v.id] })),
    ...(moneyOn ? eventRows(env, [{
      eventId: `evmr_${refundId}`, tenantId, type: "voucher_compensated", actor: { apiKeyId: byKeyId, userId: moneyOn.holder_id },
      payload: { voucherId: moneyOn.id, productId: moneyOn.product_id, campaignId: moneyOn.campaign_id, kind: moneyOn.kind, refundId, action: MONEY_REFUND, amountCents: plan.amountCents },
    }], succeeded) : []),
    ...(await lastPartStmts(env, order, input.reason, byKeyId)),
  ]);
  const now = (closed!.results[0] as OrderRow | undefined) ?? (await getOrderRow(db, tenantId, orderId))!;
  if (now.status === "refunded") await afterLastPart(env, order);
  await scheduleDispatch(env);
  const after = await refundableOf(db, tenantId, orderId);
  return {
    refund: toPaymentRecord((await getPaymentRecord(db, tenantId, refundId))!), balanceReturnedCents: now.status === "refunded" ? order.stored_value_cents ?? 0 : 0,
    order: toOrder(now), refundableCents: after?.refundable ?? 0, voidedVoucherIds: voided.map((v) => v.id), state: done.state === "processing" ? "processing" : "succeeded",
  };
}

/**
 * The last part of the charge refunds the order (orderFullyRefundedStmt earlier in the same batch): everything a whole
 * refund gives back goes back with it, once, guarded on the order being refunded — member growth, points, the stored
 * value it spent, the coupons it used — and its order_refunded event, whose amountCents is every part given back at the
 * gateway (the parts' sum: the balance part of the order goes back to the wallet, not through the gateway).
 */
export async function lastPartStmts(env: Env, order: OrderRow, reason: string, byKeyId: string | null): Promise<D1PreparedStatement[]> {
  const t = order.tenant_id;
  const refunded = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'refunded')", args: [t, order.id] };
  return [
    ...orderRefundMemberStmts(env, t, order.id, refunded),
    ...orderRefundPointsStmts(env, t, order.id),
    ...returnOrderBalanceStmts(env, t, order.id, refunded),
    ...((order.discount_cents ?? 0) > 0 ? await returnCouponsOnClose(env, t, order.id, refunded, reason) : []),
    ...eventRows(env, [{
      eventId: `evor_${order.id}`, tenantId: t, type: "order_refunded", actor: { ...(byKeyId ? { apiKeyId: byKeyId } : {}), userId: order.buyer_id },
      payload: { orderId: order.id, productId: order.product_id, ...(order.campaign_id ? { campaignId: order.campaign_id } : {}), amountCents: 0, ...storedValuePart(order), reason, automatic: false, inParts: true },
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
