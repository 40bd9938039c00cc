/**
 * After payment: exactly-once delivery. The order moves paid → delivered in the same D1 transaction that marks its
 * keys delivered and inserts its vouchers (idempotent by 'order:<id>:<n>', one voucher per one-shot key enforced by
 * a unique index). Anything that cannot be delivered is failed and refunded automatically, with an alert event.
 */
import { newId } from "../domain/crypto";
import { allOf, type SqlGuard } from "../db/statements";
import { deliverKeyStmt, findLoopKey, releaseOrderKeysStmt, reserveCardKeys, reservedKeysOfOrder } from "../db/card-keys";
import {
  insertSupplierKeyStmt, markDeliveredStmt, markPaidByPaymentStmt, paidFollowUpsStmt, readNotice, type BuyerStanding, redeemedOfOrderStmt, restoreFailedOrderStmt, unrefundVoucherStmt,
  vouchersOfOrderStmt,
} from "../db/fulfilment";
import { claimOrderForRefundStmt, getOrderRow, settleHoldsStmts, transitionOrderStmt, type OrderRow } from "../db/orders";
import {
  completePaymentStmt, getChargeOfOrder, getPaymentById, givenBackRefunds, hasPartRefunds, paymentAmountField, refundedAtGatewayField, refundedCentsOfOrder,
  wholeRefundAttempts, type PaymentRow,
} from "../db/payments";
import { refundCharge } from "./refunds";
import { getProductRow, type ProductRow } from "../db/products";
import { sealSecret, secretHash } from "../domain/secret-box";
import { insertVoucherStmt, listVouchersByOrder, refundIssuedOfOrderStmt, type NewVoucherRow, type VoucherRow } from "../db/vouchers";
import { ApiError } from "../errors";
import { winCostHandedBack } from "./campaign-lapse";
import type { PaymentNotice } from "../payments/provider";
import { emitEvents, eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import { orderLines } from "./order-lines";
import { orderPaidMemberStmts, orderRefundMemberStmts } from "./membership";
import { hasPendingSupplierOrder } from "../db/suppliers";
import { cardKeysViaSuppliers, rechargeViaSuppliers } from "./suppliers";
import { buildVoucherRow, type CardKeyRef, voucherInserted, voucherIssuedEvent } from "./vouchers";
import { movementBySource, ORDER_BALANCE_HELD_SQL } from "../db/stored-value";
import { deliverLoad, returnOrderBalanceStmts, storedValuePlanOf, takeLoadRefund } from "./stored-value";
import { orderEarnStmts, orderRefundPointsStmts } from "./points";
import { returnMallExchangeOfOrder } from "./mall";
import { inviteQualifyStmts, invitePaidStmts, payerHash, reverseInviteOfRefund } from "./invites";
import { reverseTasksOfRefund } from "./member-activity";
import { countBudgetSpent, countIssueStmts, issuedGuard } from "../db/coupons";
import { returnCouponsOnClose } from "./coupons";

// Only an open order takes money: one the buyer cancelled or whose time ran out is refunded on arrival (issue 21).
const UNPAID = ["created"] as const;

/** followUps (when applied): whether the payment made a paid-card term or qualified an invite (services/payment-callback.ts). */
export type NoticeOutcome = { applied: boolean; order: OrderRow; needsAsyncDelivery: boolean; followUps?: { paidCard: boolean; invite: boolean } };

/**
 * Applies a verified gateway notice. Refused (4xx, nothing changed) when the payment is unknown, or the order id,
 * amount or currency differ from what was charged. A repeat of an applied notice is acknowledged and changes nothing.
 *
 * The common case — a card-key order still holding its reserved keys — is settled and delivered in ONE D1
 * transaction: payment → succeeded, order → paid, keys → delivered, vouchers inserted, order → delivered. Every
 * statement after the first is guarded on the ones before it (the order is paid by this very transaction, each key is
 * still reserved for this order, each voucher's key was just delivered, all vouchers are in place), so a lost race or
 * a key that lapsed meanwhile changes nothing it should not, and the order is left 'paid' for deliverOrder, which
 * re-reserves. Anything else (other kinds, lapsed reservations) is paid here and delivered by deliverOrder.
 */
export async function acceptPaymentNotice(env: Env, provider: string, notice: PaymentNotice, read?: D1Result[]): Promise<NoticeOutcome> {
  const db = env.DB;
  if (notice.type !== "payment.succeeded") throw ApiError.badRequest("unsupported_notice", `Notice '${notice.type}' is not handled here`);
  // One read: the payment and, reached only through it (so a notice cannot name another tenant's rows), its order,
  // the order's product and the keys reserved for it. The callback route may have read it already (readNotice).
  const [pr, or, prodr, keyr, standing] = read ?? (await readNotice(db, notice.paymentId));
  const payment = pr!.results[0] as PaymentRow | undefined;
  if (!payment || payment.provider !== provider || payment.kind !== "charge") throw ApiError.notFound("Payment");
  if (payment.order_id !== notice.orderId) throw ApiError.badRequest("order_mismatch", "The callback names another order");
  if (payment.amount_cents !== notice.amountCents || payment.currency !== notice.currency) {
    throw ApiError.badRequest("amount_mismatch", "The callback amount differs from the amount charged");
  }
  const t = payment.tenant_id;
  const before = or!.results[0] as OrderRow | undefined;
  // Read through the payment, so it exists unless the order row is gone: then refused with nothing changed.
  if (!before) throw ApiError.notFound("Order");
  if (payment.status !== "pending") {
    if (payment.provider_ref === notice.gatewayTxnId) return { applied: false, order: before, needsAsyncDelivery: false };
    throw ApiError.conflict("payment_already_settled", "This payment was already settled by another transaction");
  }
  const product = prodr!.results[0] as ProductRow | undefined;
  const keys = keyr!.results as (CardKeyRef & { batch_id: string | null })[];
  // What follows a payment happens only if this very notice paid the order.
  const paidByThisNotice = {
    sql: `EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'paid')
          AND EXISTS (SELECT 1 FROM payments WHERE id = ? AND status = 'succeeded' AND provider_ref = ?)`,
    args: [t, before.id, payment.id, notice.gatewayTxnId],
  };
  const payer = notice.payerAccount ? await payerHash(env, t, notice.payerAccount) : null;
  // Most payers are guests: the statements for a member (growth, paid card, points) and for an invitee's first order
  // go into the batch only when the read found the buyer to be one. Should one appear before the batch commits, its
  // last statement says so and they run right after it (keyed on the order, they count once either way).
  const found = (standing?.results[0] as BuyerStanding | undefined) ?? { member: 1, invitee: 1 };
  const memberStmts = (guard: SqlGuard) => [...orderPaidMemberStmts(env, before, guard), ...orderEarnStmts(env, t, before.id, guard)];
  const stmts: D1PreparedStatement[] = [
    completePaymentStmt(db, t, payment.id, "succeeded", notice.gatewayTxnId),
    // Right after the payment's own statement (changes() is its count): money this notice took for an order that
    // can no longer take it — the negation of markPaidByPayment's condition — is alerted with the payment.
    ...eventRows(env, [closedOrderAlert(before, payment.id)], {
      sql: `changes() = 1 AND NOT EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND amount_cents - stored_value_cents = ? AND ${ORDER_BALANCE_HELD_SQL} AND status IN (${UNPAID.map(() => "?").join(",")}))`,
      args: [t, before.id, notice.amountCents, ...UNPAID],
    }, [{ path: "$.payload.status", sql: "SELECT status FROM orders WHERE tenant_id = ? AND id = ?", args: [t, before.id] }]),
    markPaidByPaymentStmt(db, t, payment.order_id, notice.amountCents, UNPAID, payment.id, notice.gatewayTxnId),
    // order_paid in the same transaction, only if this very notice paid it (derived id: recorded once).
    ...eventRows(env, [paidEvent(before, provider)], paidByThisNotice),
    // Membership (issue 17): growth for the amount, a paid card's term, and the points for the paid amount — once
    // each, with the payment (the order names the source).
    ...(found.member ? memberStmts(paidByThisNotice) : []),
    // Invite-both-get (issue 18): the payer account, and the invitee's first paid order qualifying their invite.
    ...invitePaidStmts(env, before, payment.id, payer, paidByThisNotice, !!found.invitee),
  ];
  // Delivered in the same transaction when the order still holds all its own keys (one-shot ones).
  // A group-buy seat (source 'group:<teamId>') waits for its team: paid here, delivered by services/groups.ts.
  const inline = !!product && product.kind === "card_key" && before.status === "created" && before.product_id === product.id && !before.source.startsWith("group:")
    && keys.length >= before.quantity && keys.slice(0, before.quantity).every((k) => !k.reusable);
  const rows: NewVoucherRow[] = [];
  if (inline) {
    for (let i = 0; i < before.quantity; i++) {
      const key = keys[i]!;
      const row = await buildVoucherRow(env, {
        tenantId: t, holderId: before.buyer_id, productId: product.id, sourceKey: `order:${before.id}:${i}`, orderId: before.id,
        campaignId: before.campaign_id, cardKeyId: null, meta: { orderSource: before.source },
      }, product, key);
      rows.push(row);
      stmts.push(deliverKeyStmt(db, t, before.id, key.id, paidByThisNotice));
      stmts.push(insertVoucherStmt(db, row, {
        sql: "EXISTS (SELECT 1 FROM card_keys WHERE id = ? AND order_id = ? AND status = 'delivered')",
        args: [key.id, before.id],
      }));
    }
    stmts.push(...settleHoldsStmts(db, t, before.id, "sold"));
    stmts.push(markDeliveredStmt(db, t, before.id, rows.length));
    stmts.push(vouchersOfOrderStmt(db, t, before.id));
    stmts.push(...deliveryEventRows(env, before, rows));
  }
  stmts.push(paidFollowUpsStmt(db, t, before.id, before.buyer_id));
  const results = await db.batch(stmts);
  const [paid, , moved] = results;
  let f = results[results.length - 1]!.results[0] as (FollowUps & BuyerStanding) | undefined;
  if (!paid!.results.length) {
    // Lost a race with an identical callback: acknowledge if it was this transaction.
    const again = (await getPaymentById(db, payment.id))!;
    const order = (await getOrderRow(db, t, payment.order_id))!;
    if (again.provider_ref === notice.gatewayTxnId) return { applied: false, order, needsAsyncDelivery: false };
    throw ApiError.conflict("payment_already_settled", "This payment was already settled by another transaction");
  }
  const order = moved!.results[0] as OrderRow | undefined;
  if (!order) {
    // Money arrived for an order that can no longer take it (e.g. refunded): give it back.
    const current = (await getOrderRow(db, t, payment.order_id))!;
    await refundPayment(env, current, "order_not_payable", await wholeRefundIdOf(db, t, current.id, false));
    await scheduleDispatch(env); // the alert recorded with the payment
    return { applied: false, order: current, needsAsyncDelivery: false };
  }
  // The buyer became a member or an invitee between the read and the commit: their part of the payment now.
  const settled = settledByNotice(before, payment.id, notice.gatewayTxnId);
  const late = [
    ...(!found.member && f?.member ? memberStmts(settled) : []),
    ...(!found.invitee && f?.invitee ? inviteQualifyStmts(env, before, payment.id, settled) : []),
  ];
  if (late.length) {
    const more = await db.batch([...late, paidFollowUpsStmt(db, t, before.id, before.buyer_id)]);
    f = more[more.length - 1]!.results[0] as typeof f;
  }
  const followUps = { paidCard: !!f?.paid_card, invite: !!f?.invite };
  if (inline) {
    const at = stmts.length - 1 - deliveryEventCount(rows);
    const delivered = results[at - 2]!.results[0] as OrderRow | undefined;
    // Not delivered (a key lapsed meanwhile): the order is paid, and deliverOrder completes it.
    return { applied: true, order: delivered ?? order, needsAsyncDelivery: false, followUps };
  }
  // Only products that may involve an upstream supplier need the slower path.
  const maySupplier = product?.kind === "direct_recharge" || product?.kind === "bundle";
  const lines = product && maySupplier ? await orderLines(db, t, product, order.quantity) : [];
  return { applied: true, order, needsAsyncDelivery: lines.some((l) => l.product.kind === "direct_recharge"), followUps };
}

type FollowUps = { paid_card: number; invite: number };

/** After the payment's batch: this notice paid the order, which may have been delivered since (not refunded). */
const settledByNotice = (order: OrderRow, paymentId: string, gatewayTxnId: string): SqlGuard => ({
  sql: `EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status IN ('paid', 'delivered'))
        AND EXISTS (SELECT 1 FROM payments WHERE id = ? AND status = 'succeeded' AND provider_ref = ?)`,
  args: [order.tenant_id, order.id, paymentId, gatewayTxnId],
});

/** Money for an order that can no longer take it (status: set by the batch to the order's status then). */
function closedOrderAlert(order: OrderRow, paymentId: string): EventInput {
  return { eventId: `evpc_${paymentId}`, tenantId: order.tenant_id, type: "alert", payload: { kind: "payment_for_closed_order", orderId: order.id, status: order.status } };
}

/**
 * amountCents: the money this payment took at the gateway (the charge: the order's amount less its stored-value part,
 * which the batch checks). The balance part is storedValueCents: its money was counted when the balance was loaded.
 */
function paidEvent(order: OrderRow, provider: string): EventInput {
  const storedValueCents = order.stored_value_cents ?? 0;
  return {
    eventId: `evp_${order.id}`, tenantId: order.tenant_id, type: "order_paid", actor: { userId: order.buyer_id },
    payload: { orderId: order.id, productId: order.product_id, ...(order.campaign_id ? { campaignId: order.campaign_id } : {}), amountCents: order.amount_cents - storedValueCents, ...(storedValueCents > 0 ? { storedValueCents } : {}), provider },
  };
}

/** supplierId: the upstream that delivered (the suppliers dashboard counts deliveries by it); absent for own stock. */
function deliveredEvent(order: OrderRow, vouchers: number, supplierId?: string): EventInput {
  return { eventId: `evd_${order.id}`, tenantId: order.tenant_id, type: "order_delivered", actor: { userId: order.buyer_id }, payload: { orderId: order.id, productId: order.product_id, vouchers, source: order.source, campaignId: order.campaign_id, ...(supplierId ? { supplierId } : {}) } };
}

const deliveryEventCount = (rows: NewVoucherRow[]) => 1 + rows.length;

/**
 * For the end of a delivery batch: order_delivered if the order is now delivered, and voucher_issued for each row
 * this batch inserted (a guarded insert that did not happen records nothing). Ids derived: a rerun records nothing new.
 */
function deliveryEventRows(env: Env, order: OrderRow, rows: NewVoucherRow[], supplierId?: string): D1PreparedStatement[] {
  return [
    ...eventRows(env, [deliveredEvent(order, rows.length, supplierId)], {
      sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'delivered')",
      args: [order.tenant_id, order.id],
    }),
    ...rows.flatMap((r) => eventRows(env, [voucherIssuedEvent(r)], voucherInserted(r))),
  ];
}


/** For orders with nothing to pay at a gateway (free claims, all from the balance): created → paid → delivered. */
export async function markPaidAndDeliver(env: Env, order: OrderRow): Promise<OrderRow> {
  // An amount here was paid wholly from the stored-value balance: no gateway notice will come, so a paid card's term
  // starts now (its growth and points are none: the balance earned them when it was loaded).
  const member = order.amount_cents > 0 ? orderPaidMemberStmts(env, order, orderIn(order.tenant_id, order.id, "paid")) : [];
  const [moved] = await env.DB.batch([transitionOrderStmt(env.DB, order.tenant_id, order.id, ["created"], "paid"), ...member]);
  const paid = moved!.results[0] as OrderRow | undefined;
  if (!paid) return (await getOrderRow(env.DB, order.tenant_id, order.id))!;
  return deliverOrder(env, paid);
}

function mask(account: string | null): string | null {
  if (!account) return null;
  return account.length <= 4 ? "****" : `${account.slice(0, 2)}****${account.slice(-2)}`;
}

/** Delivers a paid order. Safe to call again: vouchers are keyed by source and the order moves paid → delivered once. */
export async function deliverOrder(env: Env, order: OrderRow): Promise<OrderRow> {
  const db = env.DB;
  const t = order.tenant_id;
  if (order.status !== "paid") return order;
  const product = await getProductRow(db, t, order.product_id);
  if (!product) return failAndRefund(env, order, "product_missing");
  const planId = storedValuePlanOf(product);
  if (planId) {
    // A stored-value plan: the account is credited instead of a voucher issued (services/stored-value.ts).
    const delivered = await deliverLoad(env, order, planId);
    await scheduleDispatch(env);
    if (delivered) return delivered;
    const now = (await getOrderRow(db, t, order.id))!;
    return now.status === "paid" ? failAndRefund(env, now, "stored_value_load_failed") : now;
  }
  const lines = await orderLines(db, t, product, order.quantity);
  const stmts: D1PreparedStatement[] = [];
  const rows: NewVoucherRow[] = [];
  const upstream = { supplierId: undefined as string | undefined };
  let n = 0;
  const base = (productId: string, meta: Record<string, string | number | null> = {}) => ({
    tenantId: t, holderId: order.buyer_id, productId, sourceKey: `order:${order.id}:${n++}`, orderId: order.id,
    campaignId: order.campaign_id, cardKeyId: null, meta: { orderSource: order.source, ...meta },
  });
  for (const line of lines) {
    if (line.product.kind === "card_key") {
      let keys: CardKeyRef[] = await reservedKeysOfOrder(db, t, order.id, line.product.id);
      if (keys.length < line.quantity) {
        // Paid after the reservation lapsed: take fresh keys if there are any.
        await reserveCardKeys(db, t, line.product.id, order.id, line.quantity - keys.length, new Date(Date.now() + 60_000).toISOString());
        keys = await reservedKeysOfOrder(db, t, order.id, line.product.id);
      }
      let loop: CardKeyRef | null | undefined;
      let bought: CardKeyRef[] | null = null;
      for (let i = 0; i < line.quantity; i++) {
        let key = keys[i];
        if (!key) key = (loop ??= await findLoopKey(db, t, line.product.id)) ?? undefined;
        if (!key) {
          // Own stock ran out: buy the missing keys upstream, store them encrypted, delivered to this order.
          bought ??= await upstreamKeys(env, order, line.product, line.quantity - i, stmts, upstream);
          if (!bought) return failAndRefund(env, order, "out_of_stock");
          key = bought[i - (line.quantity - bought.length)];
        }
        if (!key) return failAndRefund(env, order, "out_of_stock");
        const row = await buildVoucherRow(env, base(line.product.id), line.product, key);
        rows.push(row);
        if (key.reusable) stmts.push(insertVoucherStmt(db, row));
        else {
          // Guarded on the order still being paid: a second runner that lost the race takes no key out of stock.
          stmts.push(deliverKeyStmt(db, t, order.id, key.id, { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'paid')", args: [t, order.id] }));
          stmts.push(insertVoucherStmt(db, row, {
            sql: "EXISTS (SELECT 1 FROM card_keys WHERE id = ? AND order_id = ? AND status = 'delivered')",
            args: [key.id, order.id],
          }));
        }
      }
    } else if (line.product.kind === "direct_recharge") {
      const result = await rechargeViaSuppliers(env, order, line.product, line.quantity);
      // Accepted asynchronously: the order stays paid until the supplier's callback (or the cron's poll) settles it.
      if (!result.ok && result.pending) return order;
      if (!result.ok) return failAndRefund(env, order, "all_suppliers_failed");
      upstream.supplierId ??= result.supplierId;
      for (let i = 0; i < line.quantity; i++) {
        const row = await buildVoucherRow(env, base(line.product.id, { supplierId: result.supplierId, supplierRef: result.ref, account: mask(order.recharge_account) }), line.product, null);
        rows.push(row);
        stmts.push(insertVoucherStmt(db, row));
      }
    } else if (line.product.kind === "coupon") {
      // A coupon campaign's count budget (issue 19): counted once per order in this batch, the vouchers only with it.
      const paid = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'paid')", args: [t, order.id] };
      stmts.push(...countIssueStmts(db, t, order.id, line.product.id, line.quantity, paid));
      stmts.push(...eventRows(env, [{ eventId: `evcbx_${line.product.id}_count`, tenantId: t, type: "coupon_budget_exhausted", payload: { couponProductId: line.product.id, dimension: "count" } }], {
        sql: "EXISTS (SELECT 1 FROM coupon_budgets WHERE tenant_id = ? AND product_id = ? AND max_count IS NOT NULL AND issued_count >= max_count)",
        args: [t, line.product.id],
      }));
      for (let i = 0; i < line.quantity; i++) {
        const row = await buildVoucherRow(env, base(line.product.id), line.product, null);
        rows.push(row);
        stmts.push(insertVoucherStmt(db, row, issuedGuard(order.id, line.product.id)));
      }
    } else {
      for (let i = 0; i < line.quantity; i++) {
        const row = await buildVoucherRow(env, base(line.product.id), line.product, null);
        rows.push(row);
        stmts.push(insertVoucherStmt(db, row));
      }
    }
  }
  stmts.push(...settleHoldsStmts(db, t, order.id, "sold"));
  // Delivered only with every voucher in place: a guarded insert that did not happen keeps the order 'paid'.
  stmts.push(markDeliveredStmt(db, t, order.id, rows.length));
  stmts.push(...deliveryEventRows(env, order, rows, upstream.supplierId));
  let results: D1Result[];
  try {
    results = await db.batch(stmts);
  } catch (e) {
    console.error(JSON.stringify({ at: "deliverOrder", orderId: order.id, error: e instanceof Error ? e.message : String(e) }));
    return failAndRefund(env, order, "delivery_error");
  }
  const delivered = results[results.length - 1 - deliveryEventCount(rows)]!.results[0] as OrderRow | undefined;
  await scheduleDispatch(env); // also when not delivered: it may be called outside a request (cron, campaign fulfilment)
  if (!delivered) {
    const now = (await getOrderRow(db, t, order.id))!;
    if (now.status !== "paid") return now;
    // A coupon whose count budget is spent is refused like a sold-out: failed and refunded, no voucher beyond it.
    const spent = lines.some((l) => l.product.kind === "coupon") && (await Promise.all(lines.filter((l) => l.product.kind === "coupon").map((l) => countBudgetSpent(db, t, l.product.id, l.quantity)))).some(Boolean);
    return failAndRefund(env, now, spent ? "coupon_budget_exhausted" : "delivery_incomplete");
  }
  return delivered;
}

/** Keys bought from a supplier for this order: inserted as delivered (encrypted) in the delivery transaction. */
async function upstreamKeys(
  env: Env, order: OrderRow, product: ProductRow, quantity: number, stmts: D1PreparedStatement[], upstream: { supplierId?: string },
): Promise<CardKeyRef[] | null> {
  const got = await cardKeysViaSuppliers(env, order, product, quantity);
  if (!got.ok) return null;
  upstream.supplierId ??= got.supplierId;
  const refs: CardKeyRef[] = [];
  for (const secret of got.keys) {
    const ref = { id: newId("ck"), secret_enc: await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, secret), secret_hash: await secretHash(env.CARD_KEY_ENCRYPTION_KEY, order.tenant_id, secret), reusable: 0 };
    stmts.push(
      insertSupplierKeyStmt(env.DB, order.tenant_id, product.id, order.id, got.supplierId, ref),
    );
    refs.push(ref);
  }
  return refs;
}

async function refundPayment(env: Env, order: OrderRow, reason: string, refundId: string, amountCents?: number): Promise<boolean> {
  const charge = await getChargeOfOrder(env.DB, order.tenant_id, order.id);
  if (!charge || charge.status !== "succeeded") return true; // nothing was taken
  // A stored-value load whose refund was taken from the balance: only that principal goes back, on any retry too.
  const svRefund = amountCents === undefined ? await movementBySource(env.DB, order.tenant_id, "refunded", "order", order.id) : null;
  const wanted = amountCents ?? (svRefund ? -svRefund.principal_delta : charge.amount_cents);
  // One refund id per attempt (wholeRefundIdOf): a run that died after asking the gateway asks again under the same
  // id, never twice; what a console refund already gave back is not given again.
  const mine = await getPaymentById(env.DB, refundId);
  const amount = mine ? mine.amount_cents : Math.min(wanted, charge.amount_cents - (await refundedCentsOfOrder(env.DB, order.tenant_id, order.id)));
  if (amount <= 0) return true;
  const outcome = await refundCharge(env, charge, amount, reason, refundId);
  return outcome === "succeeded" || outcome === "processing" || outcome === "refused";
}

/**
 * The refund id of an order's whole refund (the rest, when parts went back before): `rfo_<order>`, the attempt not
 * refused if there is one. An operator's retry (`retry`) after the gateway refused every attempt gets a new one,
 * `rfo_<order>~<n>` (a refusal stays as it was); the automatic path never starts one — the delivery cron would ask
 * the gateway again every minute.
 */
async function wholeRefundIdOf(db: D1Database, tenantId: string, orderId: string, retry: boolean): Promise<string> {
  const attempts = await wholeRefundAttempts(db, tenantId, orderId);
  const open = attempts.find((a) => a.status !== "failed");
  if (open || !attempts.length) return open?.id ?? `rfo_${orderId}`;
  return retry ? `rfo_${orderId}~${attempts.length + 1}` : attempts[attempts.length - 1]!.id;
}

/**
 * The suffix of a closing refund's event ids (order_refunded, each voucher_refunded): none, or after refunds the gateway
 * refused were given back, `_u<count>` — the same for a rerun of this refund, new for each later one.
 */
export async function refundRound(db: D1Database, tenantId: string, orderId: string): Promise<string> {
  const n = await givenBackRefunds(db, tenantId, orderId);
  return n ? `_u${n}` : "";
}

/** paid → failed → refunded: stock goes back, money goes back, issued vouchers of the order are marked refunded. */
export async function failAndRefund(env: Env, order: OrderRow, reason: string): Promise<OrderRow> {
  const db = env.DB;
  const t = order.tenant_id;
  const [moved] = await db.batch([
    transitionOrderStmt(db, t, order.id, ["paid"], "failed", { failureReason: reason }),
    ...eventRows(env, [{ eventId: `evof_${order.id}`, tenantId: t, type: "order_failed", actor: { userId: order.buyer_id }, payload: { orderId: order.id, productId: order.product_id, reason } }], orderIn(t, order.id, "failed")),
  ]);
  const failed = moved!.results[0] as OrderRow | undefined;
  if (!failed) return (await getOrderRow(db, t, order.id))!;
  return finishRefund(env, failed, reason);
}

/** An order_refunded's storedValueCents: the part of the order paid from the balance (it goes back to the wallet). */
export const storedValuePart = (order: Pick<OrderRow, "stored_value_cents">) => ((order.stored_value_cents ?? 0) > 0 ? { storedValueCents: order.stored_value_cents! } : {});

const orderIn = (t: string, orderId: string, status: string) => ({ sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = ?)", args: [t, orderId, status] });
/** The order is refunded and its whole refund (the rest after parts) was made, not failed. */
const restGivenBack = (t: string, orderId: string, refundId: string): SqlGuard =>
  allOf(orderIn(t, orderId, "refunded"), { sql: "EXISTS (SELECT 1 FROM payments WHERE id = ? AND status != 'failed')", args: [refundId] });

/**
 * The refund's events, for the batch that marks the order and its vouchers refunded: order_refunded once the order
 * is refunded, voucher_refunded for each of these vouchers once it is (the ledger's refund entries come from them).
 * order_refunded's amountCents is the money given back at the gateway (read by the batch: refundedAtGatewayField);
 * storedValueCents the part paid from the balance, which goes back to the wallet (returnOrderBalanceStmts).
 */
async function refundEventRows(
  env: Env, order: OrderRow, refundId: string, vouchers: Pick<VoucherRow, "id" | "product_id" | "campaign_id" | "kind" | "holder_id">[], reason: string, automatic: boolean,
  byKeyId: string | null = null, lastPart?: { units: number },
) {
  const handedBack = await winCostHandedBack(env, order);
  const t = order.tenant_id;
  // After a refused refund was given back, this one's events are its own (named by it, so the ledger records it too).
  const round = await refundRound(env.DB, t, order.id);
  return [
    // Money already went back in parts: this whole refund gives back the rest, recorded as the last part (its own
    // money, under its refund id), and the order_refunded closing them says inParts, as services/partial-refunds.ts's
    // last part does — so LTV, which counts parts and skips an inParts whole, counts every part once.
    ...(lastPart
      ? eventRows(env, [{
        eventId: `evopr_${refundId}`, tenantId: t, type: "order_partially_refunded", actor: { ...(byKeyId ? { apiKeyId: byKeyId } : {}), userId: order.buyer_id },
        payload: { orderId: order.id, productId: order.product_id, ...(order.campaign_id ? { campaignId: order.campaign_id } : {}), refundId, amountCents: 0, units: lastPart.units, reason },
      }], restGivenBack(t, order.id, refundId), [paymentAmountField("$.payload.amountCents", refundId)])
      : []),
    ...orderRefundMemberStmts(env, t, order.id, orderIn(t, order.id, "refunded")),
    // Points the order earned go back with the refund (once; what was already spent is recorded as the shortfall).
    ...orderRefundPointsStmts(env, t, order.id),
    ...eventRows(env, [{
      eventId: `evor_${order.id}${round}`, tenantId: t, type: "order_refunded", actor: { apiKeyId: byKeyId, userId: order.buyer_id },
      payload: { orderId: order.id, productId: order.product_id, ...(order.campaign_id ? { campaignId: order.campaign_id } : {}), amountCents: 0, ...storedValuePart(order), reason, automatic, ...(lastPart ? { inParts: true } : {}), ...handedBack },
    }], orderIn(t, order.id, "refunded"), [refundedAtGatewayField(t, order.id)]),
    ...vouchers.flatMap((v) =>
      eventRows(env, [{
        eventId: `evr_${v.id}${round}`, tenantId: t, type: "voucher_refunded", actor: { userId: v.holder_id },
        payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, orderId: order.id, reason, ...(round ? { refundId } : {}) },
      }], {
        sql: "EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = 'refunded')",
        args: [t, v.id],
      }),
    ),
  ];
}

/**
 * failed → refunded: stock back, money back (once), vouchers of the order marked refunded. Safe to run again on an
 * order a crash left 'failed' (the delivery cron does): each step is guarded or checks what is already done.
 */
export async function finishRefund(env: Env, order: OrderRow, reason: string): Promise<OrderRow> {
  const db = env.DB;
  const t = order.tenant_id;
  await db.batch([releaseOrderKeysStmt(db, t, order.id), ...settleHoldsStmts(db, t, order.id, "released")]);
  let result = order;
  const refundId = await wholeRefundIdOf(db, t, order.id, false);
  if (await refundPayment(env, order, reason, refundId)) {
    const vouchers = (await listVouchersByOrder(db, t, order.id)).filter((v) => v.status === "issued" || v.status === "refunded");
    const [r] = await db.batch([
      transitionOrderStmt(db, t, order.id, ["failed"], "refunded"),
      refundIssuedOfOrderStmt(db, t, order.id, refundId),
      ...(await refundEventRows(env, order, refundId, vouchers, reason, true)),
      // The alert with the refund (derived id: a rerun on the refunded order records nothing new). A group buy's
      // refunds (a team that did not fill, a seat taken too late) are its rules at work, recorded by the group's own
      // events: no alert per member.
      ...(reason.startsWith("group_") ? [] : eventRows(env, [{ eventId: `evaf_${order.id}`, tenantId: t, type: "alert", payload: { kind: "order_failed", orderId: order.id, reason, refunded: true } }], orderIn(t, order.id, "refunded"))),
      ...returnOrderBalanceStmts(env, t, order.id, orderIn(t, order.id, "refunded")),
      ...((order.discount_cents ?? 0) > 0 ? await returnCouponsOnClose(env, t, order.id, orderIn(t, order.id, "refunded"), reason) : []),
    ]);
    result = (r!.results[0] as OrderRow | undefined) ?? result;
    await returnMallExchangeOfOrder(env, t, order.id);
    await reverseInviteOfRefund(env, t, order.id);
    await reverseTasksOfRefund(env, t, order.id);
    await scheduleDispatch(env);
  } else {
    // No change to record it with: the provider refused, the order stays 'failed' and the cron retries — each
    // refused attempt is alerted on its own, so operators see the money has not gone back yet.
    await emitEvents(env, [{ tenantId: t, type: "alert", payload: { kind: "order_failed", orderId: order.id, reason, refunded: false } }]);
  }
  return result;
}

/**
 * Operator refund of a delivered (or stuck paid/failed) order through the payment provider. Refused when any of
 * its rights was already used; its vouchers are marked refunded so they can no longer be redeemed.
 */
export async function refundOrder(env: Env, tenantId: string, orderId: string, reason: string, byKeyId: string): Promise<OrderRow> {
  const db = env.DB;
  const order = await getOrderRow(db, tenantId, orderId);
  if (!order) throw ApiError.notFound("Order");
  if (!["delivered", "paid", "failed"].includes(order.status)) {
    throw ApiError.conflict("order_not_refundable", `An order in status '${order.status}' cannot be refunded`);
  }
  // Claim the order first (guarded), so two refund requests cannot both pay out — nor run side by side: an order
  // another refund has just claimed (it is 'failed' with refund:… while that one asks the gateway) is not claimed again.
  const [claimed] = await db.batch([claimOrderForRefundStmt(db, tenantId, orderId, order.status, reason)]);
  if (!claimed!.results.length) {
    const now = await getOrderRow(db, tenantId, orderId);
    if (now?.status === "refunded") throw ApiError.conflict("order_not_refundable", "This order was refunded meanwhile");
    if (now?.status === "failed" && now.failure_reason?.startsWith("refund:")) throw ApiError.conflict("refund_in_progress", "Another refund of this order is being made; reload in a moment");
    if (now?.status === "paid" && (await hasPendingSupplierOrder(db, tenantId, orderId))) {
      throw ApiError.conflict("supplier_pending", "A supplier is still working on this order's recharge: wait for its outcome (a failure is refunded automatically)");
    }
    throw ApiError.conflict("order_changed", "The order changed meanwhile; try again");
  }
  // This attempt's refund id: a new one when the gateway refused the earlier ones (the order was claimed above, so no
  // other refund of it runs beside this one).
  const refundId = await wholeRefundIdOf(db, tenantId, orderId, true);
  // Then freeze its rights in one transaction with the check: once they are no longer 'issued' no redemption can
  // land, so money never goes back for a right that is being used at the same moment.
  const [frozen, used] = await db.batch([
    refundIssuedOfOrderStmt(db, tenantId, orderId, refundId),
    redeemedOfOrderStmt(db, tenantId, orderId),
  ]);
  const frozenIds = (frozen!.results as { id: string }[]).map((v) => v.id);
  const undo = async (restoreOrder: boolean) => {
    if (!frozenIds.length && !restoreOrder) return;
    await db.batch([
      ...frozenIds.map((id) => unrefundVoucherStmt(db, tenantId, id)),
      ...(restoreOrder
        ? [restoreFailedOrderStmt(db, tenantId, orderId, order.status, order.failure_reason)]
        : []),
    ]);
  };
  if (((used!.results[0] as { n: number } | undefined)?.n ?? 0) > 0) {
    await undo(true);
    throw ApiError.conflict("voucher_redeemed", "A right of this order was already redeemed");
  }
  // A stored-value load: only its unspent principal goes back, taken from the balance first (domain/stored-value.ts).
  const product = await getProductRow(db, tenantId, order.product_id);
  let refundCents: number | undefined;
  if (product && storedValuePlanOf(product)) {
    const taken = await takeLoadRefund(env, order, byKeyId);
    if (!taken) {
      await undo(true);
      throw ApiError.conflict("order_changed", "The stored-value balance changed meanwhile; try again");
    }
    refundCents = taken.principalCents;
  }
  await db.batch([releaseOrderKeysStmt(db, tenantId, orderId), ...settleHoldsStmts(db, tenantId, orderId, "released")]);
  const afterParts = await hasPartRefunds(db, tenantId, orderId, refundId);
  if (!(await refundPayment(env, order, reason, refundId, refundCents))) {
    await undo(false);
    throw new ApiError(502, "refund_failed", "The payment provider refused the refund; the order is left failed");
  }
  const vouchers = (await listVouchersByOrder(db, tenantId, orderId)).filter((v) => v.status === "issued" || v.status === "refunded");
  const [r] = await db.batch([
    transitionOrderStmt(db, tenantId, orderId, ["failed"], "refunded"),
    refundIssuedOfOrderStmt(db, tenantId, orderId, refundId),
    ...(await refundEventRows(env, order, refundId, vouchers, reason, false, byKeyId, afterParts ? { units: frozenIds.length } : undefined)),
    ...returnOrderBalanceStmts(env, tenantId, orderId, orderIn(tenantId, orderId, "refunded")),
    ...((order.discount_cents ?? 0) > 0 ? await returnCouponsOnClose(env, tenantId, orderId, orderIn(tenantId, orderId, "refunded"), reason) : []),
  ]);
  await returnMallExchangeOfOrder(env, tenantId, orderId);
  await reverseInviteOfRefund(env, tenantId, orderId);
  await reverseTasksOfRefund(env, tenantId, orderId);
  return (r!.results[0] as OrderRow | undefined) ?? (await getOrderRow(db, tenantId, orderId))!;
}

/** Payment id → order (and product, for the page), for the sandbox gateway. */
export async function paymentForCheckout(env: Env, paymentId: string, withProduct = true) {
  const payment = await getPaymentById(env.DB, paymentId);
  if (!payment || payment.kind !== "charge") throw ApiError.notFound("Payment");
  const order = (await getOrderRow(env.DB, payment.tenant_id, payment.order_id))!;
  const product = withProduct ? await getProductRow(env.DB, payment.tenant_id, order.product_id) : null;
  return { payment, order, product };
}
