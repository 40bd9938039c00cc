/**
 * Outcomes of asynchronous supplier orders reaching an order: the supplier's signed callback
 * (POST /api/v1/suppliers/callback/{supplierId}) and, for orders whose callback never came, the cron's status poll.
 * Either settles the supplier order once (services/supplier-orders.ts) and then drives the order on: a success
 * delivers it, a failure routes it to the next supplier (or fails and refunds it when none is left).
 */
import { SupplierCallback } from "../../schema/suppliers";
import { getOrderRow } from "../db/orders";
import { getSupplierById, getSupplierOrder, pendingCancelAsks, pendingLinesOfOrder, pendingSupplierOrders, pruneNoncesStmt, rememberNonce, type SupplierOrderRow } from "../db/suppliers";
import { verifyRequest, type IncomingRequest } from "../domain/supplier-sign";
import { ApiError } from "../errors";
import { recordOnce, type EventInput } from "../queue/emit";
import { supplierCredentials, type ClientFactory, defaultFactory } from "../suppliers/factory";
import { deliverOrder } from "./fulfilment";
import { cancelSupplierOrder, placedAt, pollSupplierOrder, settleSupplierOrder } from "./supplier-orders";

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
      const polled = await pollSupplierOrder(env, row, clientFor, now.getTime());
      if (polled.state === "pending") continue;
      settled++;
      // Settled by a callback (or an operator) meanwhile: that runner moves the order on; two would each route it.
      if (polled.applied) await continueOrder(env, row);
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

/** What each supplier answered the operator's cancel request, for the lines it settled. */
export type StopWaitingAnswer = { supplierId: string; answer: "cancelled" | "succeeded" | "failed" | "confirmed_offline" };

/**
 * The operator stops waiting for a supplier that keeps a recharge `processing` (or unanswered) for ever. Each pending
 * line is not simply failed: the supplier is asked to cancel it (撤单, cancelSupplierOrder). A confirmed cancel — or
 * its word that the line already failed — settles it failed, so the order goes to the next supplier or is refunded;
 * "already succeeded" delivers it. A supplier mid-recharge (refused) or not answering leaves the line pending and the
 * operator is told so (409 supplier_cannot_cancel / supplier_cancel_unanswered, with each line's kept answer): nothing
 * changed, try again later. Every ask is kept on its line (the order page shows the last one to every operator), and the
 * audit log keeps who asked each time, a refused ask too: the supplier was asked, and a hung cancel may still take
 * effect upstream. A confirmed cancel raises supplier_wait_stopped with the reason.
 * `confirmedOffline`: the operator attests the supplier confirmed the cancel another way (a supplier stuck mid-recharge
 * for days, or whose cancel endpoint is down, would otherwise hold the buyer's money for ever): a line it would not or
 * did not cancel here is failed too (operator_confirmed_cancel), its alert saying so. The supplier is still asked first.
 */
export async function stopWaitingForSupplier(
  env: Env, tenantId: string, orderId: string, reason: string, byKeyId: string | null,
  opts: { confirmedOffline?: boolean } = {}, clientFor: ClientFactory = defaultFactory, now = Date.now(),
) {
  const order = await getOrderRow(env.DB, tenantId, orderId);
  if (!order) throw ApiError.notFound("Order");
  const lines = await pendingLinesOfOrder(env.DB, tenantId, orderId);
  if (!lines.length) throw ApiError.conflict("not_waiting_on_supplier", "No supplier is working on this order's recharge now");
  if (lines.some((l) => now - placedAt(l) < STOP_WAITING_AFTER_S * 1000)) {
    throw ApiError.conflict("supplier_recently_placed", `A supplier got this recharge less than ${STOP_WAITING_AFTER_S / 60} minutes ago: wait for its answer`);
  }
  const answers: StopWaitingAnswer[] = [];
  const unsettled: { line: SupplierOrderRow; answer: "refused" | "unanswered" }[] = [];
  let applied = false;
  for (const line of lines) {
    const supplier = await getSupplierById(env.DB, line.supplier_id);
    const stopped = (extra: Record<string, string | boolean> = {}): EventInput[] => [{
      eventId: `evsow_${line.supplier_id}_${line.order_id}`, tenantId, type: "alert",
      payload: { kind: "supplier_wait_stopped", orderId, supplierId: line.supplier_id, supplierRef: line.supplier_ref, reason: reason.slice(0, 200), apiKeyId: byKeyId, placedAt: new Date(placedAt(line)).toISOString(), ...extra },
    }];
    const res = supplier
      ? await cancelSupplierOrder(env, line, await clientFor(supplier, env), { via: "operator", by: byKeyId ?? "operator", reason: "cancelled", at: now }, stopped())
        .catch((e) => {
          // Answered as "unanswered" (nothing is known to have changed), but said: it may be ours, not the supplier's.
          console.error(JSON.stringify({ at: "stop_waiting_cancel", orderId, supplierId: line.supplier_id, error: e instanceof Error ? e.message : String(e) }));
          return { answer: "unanswered" as const, applied: false };
        })
      : { answer: "unanswered" as const, applied: false };
    if ((res.answer === "refused" || res.answer === "unanswered") && opts.confirmedOffline) {
      const here = await settleSupplierOrder(env, line, { status: "failed", reason: "operator_confirmed_cancel" }, "operator", stopped({ confirmedOffline: true, supplierAnswer: res.answer }));
      applied ||= here;
      answers.push({ supplierId: line.supplier_id, answer: "confirmed_offline" });
      continue;
    }
    applied ||= res.applied;
    if (res.answer === "refused" || res.answer === "unanswered") unsettled.push({ line, answer: res.answer });
    else answers.push({ supplierId: line.supplier_id, answer: res.answer });
  }
  // Only the request that settled a line moves the order on, as a callback does: another operator's request at the
  // same moment (or a callback) that settled it runs the delivery itself; two runners would call the next supplier twice.
  if (applied) await continueOrder(env, lines[0]!);
  // A line the supplier would not or did not cancel is still pending unless its callback or another operator's
  // request settled it meanwhile; then nothing changed for it, and the operator may ask again later.
  const stillPending = [];
  for (const u of unsettled) if ((await getSupplierOrder(env.DB, u.line.supplier_id, u.line.order_ref))?.status === "pending") stillPending.push(u);
  if (stillPending.length) {
    // With what each supplier answered (kept on its line too), and audited: the supplier was asked, whatever it said.
    const detail = { cancelAsks: await pendingCancelAsks(env.DB, tenantId, orderId) };
    const refusal = stillPending.some((u) => u.answer === "refused")
      ? new ApiError(409, "supplier_cannot_cancel", "The supplier is recharging this line and cannot cancel it now: nothing changed; wait for its outcome or try again later", undefined, undefined, detail)
      : new ApiError(409, "supplier_cancel_unanswered", "The supplier did not confirm the cancel: nothing changed; try again later", undefined, undefined, detail);
    refusal.actedOutside = true;
    throw refusal;
  }
  return { order: await whereItWent(env, tenantId, orderId, !applied && answers.length > 0), answers };
}

/**
 * The order after 不再等待. When a line it asked about was settled by another runner meanwhile (the supplier's
 * callback for the cancel, another operator), that runner is moving the order on: the answer waits a moment (≤ 3 s)
 * for where it went — the next supplier or a refund — rather than telling the operator it is still paid.
 */
async function whereItWent(env: Env, tenantId: string, orderId: string, movedByAnother: boolean) {
  let order = (await getOrderRow(env.DB, tenantId, orderId))!;
  for (let i = 0; movedByAnother && order.status === "paid" && i < 30; i++) {
    if ((await pendingLinesOfOrder(env.DB, tenantId, orderId)).length) break;
    await new Promise((r) => setTimeout(r, 100));
    order = (await getOrderRow(env.DB, tenantId, orderId))!;
  }
  return order;
}
