/**
 * Drives every paid order to an end — delivered, or failed and refunded — whatever died when. Moving an order to
 * 'paid' sets a delivery lease in the same statement (db/orders DELIVERY_LEASE_SQL); the request that took the
 * payment delivers at once, and if it dies (or stalls past the lease) this cron job takes the order over: it counts
 * the attempt and moves the lease on in one guarded UPDATE (so one runner at a time), then runs deliverOrder again.
 * Redelivery is safe: vouchers are keyed by order, the order moves paid → delivered once, and suppliers are asked
 * under our order reference (a retry gets the first recharge back, never a second one). Orders still open past
 * STUCK_AFTER_MINUTES raise one `alert` event each.
 */
import { retryDelaySeconds } from "../domain/backoff";
import { dueDeliveries, markStuckStmt, stuckOrders, takeDeliveryStmt, type OrderRow } from "../db/orders";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { pendingAtSupplier } from "../db/suppliers";
import { deliverOrder, failAndRefund, finishRefund } from "./fulfilment";

export const STUCK_AFTER_MINUTES = 10;
/** After this many runs a paid order that still could not be delivered is refunded. */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** How long an order accepted asynchronously by a supplier may wait for its outcome before the retries run out. */
export const SUPPLIER_PENDING_MAX_MS = 86_400_000;
const PER_RUN = 50;
const PARALLEL = 4;
/** A run's lease: long enough for every supplier route to time out and be asked again. */
const MIN_LEASE_S = 120;

export interface DeliveryRun {
  taken: number;
  delivered: number;
  refunded: number;
  alerts: number;
}

export async function driveDeliveries(env: Env, now = new Date()): Promise<DeliveryRun> {
  const run: DeliveryRun = { taken: 0, delivered: 0, refunded: 0, alerts: 0 };
  const due = await dueDeliveries(env.DB, now.toISOString(), PER_RUN);
  for (let i = 0; i < due.length; i += PARALLEL) {
    await Promise.all(due.slice(i, i + PARALLEL).map(async (row) => {
      const lease = new Date(now.getTime() + Math.max(MIN_LEASE_S, retryDelaySeconds(row.delivery_attempts + 1)) * 1000).toISOString();
      const taken = (await takeDeliveryStmt(env.DB, row, lease).first<OrderRow>()) ?? null;
      if (!taken) return; // another runner took it meanwhile
      run.taken++;
      try {
        const end = taken.status === "failed"
          ? await finishRefund(env, taken, taken.failure_reason ?? "delivery_failed")
          // Not while a supplier still works on it (accepted asynchronously, under a day ago): refunding then could pay
          // the buyer back for a recharge that arrives after all. deliverOrder asks that supplier again instead.
          : taken.delivery_attempts > MAX_DELIVERY_ATTEMPTS && !(await pendingAtSupplier(env.DB, taken.tenant_id, taken.id, new Date(now.getTime() - SUPPLIER_PENDING_MAX_MS).toISOString()))
            ? await failAndRefund(env, taken, "delivery_retries_exhausted")
            : await deliverOrder(env, taken);
        if (end.status === "delivered") run.delivered++;
        if (end.status === "refunded") run.refunded++;
      } catch (e) {
        // The lease lapses and the next run tries again.
        console.error(JSON.stringify({ at: "driveDeliveries", orderId: taken.id, attempt: taken.delivery_attempts, error: e instanceof Error ? e.message : String(e) }));
      }
    }));
  }
  // One alert per order, recorded in the statement that marks it alerted on (a concurrent run marks and records nothing).
  const stuck = await stuckOrders(env.DB, new Date(now.getTime() - STUCK_AFTER_MINUTES * 60_000).toISOString(), PER_RUN);
  if (stuck.length) {
    const results = await env.DB.batch(stuck.flatMap((o) => [
      markStuckStmt(env.DB, o.tenant_id, o.id),
      ...eventRows(env, [{
        eventId: `evst_${o.id}`,
        tenantId: o.tenant_id,
        type: "alert",
        payload: { kind: "order_stuck", orderId: o.id, status: o.status, paidAt: o.paid_at, deliveryAttempts: o.delivery_attempts, deadlineMinutes: STUCK_AFTER_MINUTES },
      }], { sql: "changes() = 1", args: [] }),
    ]));
    run.alerts = results.filter((r, i) => i % 2 === 0 && r.meta.changes === 1).length;
    await scheduleDispatch(env);
  }
  return run;
}
