/**
 * Outcomes of asynchronous supplier orders reaching an order: the supplier's signed callback
 * (POST /api/v1/suppliers/callback/{supplierId}) and, for orders whose callback never came, the cron's status poll.
 * Either settles the supplier order once (services/supplier-orders.ts) and then drives the order on: a success
 * delivers it, a failure routes it to the next supplier (or fails and refunds it when none is left).
 */
import { SupplierCallback } from "../../schema/suppliers";
import { getOrderRow } from "../db/orders";
import { getSupplierById, getSupplierOrder, pendingLinesOfOrder, pendingSupplierOrders, pruneNoncesStmt, rememberNonce, type SupplierOrderRow } from "../db/suppliers";
import { verifyRequest, type IncomingRequest } from "../domain/supplier-sign";
import { ApiError } from "../errors";
import { recordOnce } from "../queue/emit";
import { supplierCredentials, type ClientFactory, defaultFactory } from "../suppliers/factory";
import { deliverOrder } from "./fulfilment";
import { placedAt, pollSupplierOrder, settleSupplierOrder } from "./supplier-orders";

/** A settled supplier order moves its order on (delivery is idempotent: a second runner changes nothing). */
async function continueOrder(env: Env, row: SupplierOrderRow) {
  const order = await getOrderRow(env.DB, row.tenant_id, row.order_id);
  return order?.status === "paid" ? deliverOrder(env, order) : order;
}

export type CallbackResult = { applied: boolean; status: string; orderStatus: string | null };

/**
 * A callback refused at the supplier's URL — its signature did not verify (a forgery, or a supplier on another key,
 * whose outcomes then never arrive), or, verified, it names no order of this brand at this supplier — is an alert for
 * the supplier's brand (最近告警, e-mail/SMS, webhooks), as payment_callback_refused records a refused gateway notice.
 * Anyone can post to the URL, so it is one record per supplier, reason and minute (the alert gate then holds repeats
 * back for its quiet period); only the reason is kept, nothing of the request.
 */
async function recordRefusedCallback(env: Env, supplier: { id: string; tenant_id: string }, reason: string) {
  const key = [supplier.tenant_id, supplier.id, reason, Math.floor(Date.now() / 60_000)];
  await recordOnce(env, "evscr", key, { tenantId: supplier.tenant_id, type: "alert", payload: { kind: "supplier_callback_refused", supplierId: supplier.id, reason } });
}

/**
 * Verifies a supplier callback in the supplier's own scheme (refused: 401 bad signature or expired, 409 replayed
 * one-time value) and applies it. Idempotent and order-independent: only the first final outcome counts.
 */
export async function handleSupplierCallback(env: Env, supplierId: string, req: IncomingRequest): Promise<CallbackResult> {
  const supplier = await getSupplierById(env.DB, supplierId);
  if (!supplier) throw ApiError.notFound("Supplier");
  const verified = await verifyRequest(await supplierCredentials(env, supplier), req);
  if (!verified.ok) {
    await recordRefusedCallback(env, supplier, `signature_${verified.reason}`);
    throw new ApiError(401, `signature_${verified.reason}`, `Supplier callback refused: ${verified.reason}`);
  }
  if (verified.nonce === null || !(await rememberNonce(env.DB, supplierId, verified.nonce))) throw ApiError.conflict("replayed", "This callback's one-time value was used before");
  const parsed = SupplierCallback.safeParse(verified.params);
  if (!parsed.success) throw ApiError.fromZod(parsed.error, "json");
  const cb = parsed.data;
  const row = await getSupplierOrder(env.DB, supplierId, cb.orderRef);
  if (!row || row.tenant_id !== supplier.tenant_id) {
    await recordRefusedCallback(env, supplier, "unknown_order");
    throw ApiError.notFound("Supplier order");
  }
  const applied = await settleSupplierOrder(env, row, { status: cb.status, supplierRef: cb.supplierRef, reason: cb.reason, costCents: cb.costCents }, "callback");
  const order = applied ? await continueOrder(env, row) : await getOrderRow(env.DB, row.tenant_id, row.order_id);
  const now = await getSupplierOrder(env.DB, supplierId, cb.orderRef);
  return { applied, status: now?.status ?? row.status, orderStatus: order?.status ?? null };
}

/** Poll after this long without an outcome (and at most this often per order). */
export const POLL_AFTER_S = 60;
const PER_RUN = 50;

/** Cron: asks suppliers about pending orders that got no callback; settled ones are delivered or re-routed. */
export async function pollSupplierOrders(env: Env, now = new Date(), tenantId?: string, clientFor: ClientFactory = defaultFactory) {
  const due = await pendingSupplierOrders(env.DB, new Date(now.getTime() - POLL_AFTER_S * 1000).toISOString(), PER_RUN, tenantId);
  let settled = 0;
  for (const row of due) {
    try {
      if ((await pollSupplierOrder(env, row, clientFor, now.getTime())) === "pending") continue;
      settled++;
      await continueOrder(env, row);
    } catch (e) {
      console.error(JSON.stringify({ at: "pollSupplierOrders", orderId: row.order_id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  if (!tenantId) await pruneNoncesStmt(env.DB, new Date(now.getTime() - 86_400_000).toISOString()).run();
  return { polled: due.length, settled };
}

/**
 * An operator may stop waiting for a recharge once a supplier has had it this long (order_stuck told them at 10
 * minutes): before that a slow answer is normal, and giving up early is how a line gets recharged twice.
 */
export const STOP_WAITING_AFTER_S = 10 * 60;

/**
 * The operator stops waiting for a supplier that keeps a recharge `processing` (or unanswered) for ever — checked with
 * the supplier, say, that it will not go through. Each pending line is asked once more (an outcome that has arrived is
 * taken as it is); one still pending is settled failed, so the order goes to the next supplier or is refunded, as
 * after any failure. A supplier that recharges it after all raises supplier_success_after_failure; this raises
 * supplier_wait_stopped with the reason, and the audit log keeps who did it.
 */
export async function stopWaitingForSupplier(env: Env, tenantId: string, orderId: string, reason: string, byKeyId: string | null, clientFor: ClientFactory = defaultFactory, now = Date.now()) {
  const order = await getOrderRow(env.DB, tenantId, orderId);
  if (!order) throw ApiError.notFound("Order");
  const lines = await pendingLinesOfOrder(env.DB, tenantId, orderId);
  if (!lines.length) throw ApiError.conflict("not_waiting_on_supplier", "No supplier is working on this order's recharge now");
  if (lines.some((l) => now - placedAt(l) < STOP_WAITING_AFTER_S * 1000)) {
    throw ApiError.conflict("supplier_recently_placed", `A supplier got this recharge less than ${STOP_WAITING_AFTER_S / 60} minutes ago: wait for its answer`);
  }
  for (const line of lines) {
    const state = await pollSupplierOrder(env, line, clientFor, now).catch(() => "pending" as const);
    if (state !== "pending") continue;
    await settleSupplierOrder(env, line, { status: "failed", reason: "operator_stopped_waiting" }, "operator", [{
      eventId: `evsow_${line.supplier_id}_${line.order_id}`, tenantId, type: "alert",
      payload: { kind: "supplier_wait_stopped", orderId, supplierId: line.supplier_id, supplierRef: line.supplier_ref, reason: reason.slice(0, 200), apiKeyId: byKeyId, placedAt: new Date(placedAt(line)).toISOString() },
    }]);
  }
  return continueOrder(env, lines[0]!);
}
