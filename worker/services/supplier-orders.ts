/**
 * Asynchronous supplier orders: a recharge the supplier accepted as processing stays pending in supplier_orders until
 * its outcome arrives — by the supplier's signed callback or by a status poll. The first outcome settles it, once:
 * a repeat, a late "processing", or a failure after success changes nothing (a success after a failure raises an
 * alert: the line may have been bought twice). Settling records the attempt (latency from acceptance), the breaker
 * and supplier_order_settled in one batch; delivering the order is the caller's (services/supplier-callbacks.ts).
 */
import { newId } from "../domain/crypto";
import {
  getSupplierById, getSupplierOrder, markPolledStmt, noteUnknown, recordAttemptStmt, recordCancelAskStmt, settleSupplierOrderStmt, supplierFailedStmt, supplierSucceededStmt,
  type SupplierOrderRow,
} from "../db/suppliers";
import { emitEvent, emitEvents, eventRows, type EventInput } from "../queue/emit";
import type { SupplierClient } from "../suppliers/client";
import { defaultFactory, type ClientFactory } from "../suppliers/factory";

const BREAKER_THRESHOLD = 3;
const BREAKER_OPEN_S = 30;

/** When the line was placed at the supplier (D1's timestamps may lack the zone: they are UTC). */
export const placedAt = (row: Pick<SupplierOrderRow, "created_at">) => Date.parse(row.created_at.endsWith("Z") ? row.created_at : `${row.created_at}Z`);

/** costCents: what the supplier says it charged (its callback or status answer), when it says. */
export type Outcome = { status: "succeeded" | "failed" | "processing"; supplierRef?: string | null; reason?: string; costCents?: number };

/** Applies an outcome to a pending supplier order; true when this call settled it (`alsoRecord`: events recorded with it). */
export async function settleSupplierOrder(env: Env, row: SupplierOrderRow, outcome: Outcome, via: "callback" | "poll" | "operator", alsoRecord: EventInput[] = []): Promise<boolean> {
  if (outcome.status === "processing") return false;
  const db = env.DB;
  const [settled] = await db.batch([settleSupplierOrderStmt(db, row.supplier_id, row.order_ref, outcome.status, outcome.supplierRef ?? null, outcome.reason ?? null)]);
  if (!settled!.results.length) {
    const now = await getSupplierOrder(db, row.supplier_id, row.order_ref);
    if (now?.status === "failed" && outcome.status === "succeeded") {
      await emitEvent(env, { eventId: `evsls_${row.supplier_id}_${row.order_id}`, tenantId: row.tenant_id, type: "alert", payload: { kind: "supplier_success_after_failure", orderId: row.order_id, supplierId: row.supplier_id } });
    }
    // The supplier takes back a success we delivered on (a carrier reversal): the buyer may hold a recharge that never
    // arrived. Nothing changes by itself; the operator is told, once, to check with the supplier and the buyer.
    if (now?.status === "succeeded" && outcome.status === "failed") {
      await emitEvent(env, {
        eventId: `evsfs_${row.supplier_id}_${row.order_id}`, tenantId: row.tenant_id, type: "alert",
        payload: { kind: "supplier_failure_after_success", orderId: row.order_id, supplierId: row.supplier_id, reason: outcome.reason ?? null },
      });
    }
    return false;
  }
  const t = row.tenant_id;
  const latencyMs = Math.max(0, Date.now() - placedAt(row));
  const ok = outcome.status === "succeeded";
  const attemptId = newId("sat");
  await db.batch([
    recordAttemptStmt(db, { id: attemptId, tenantId: t, orderId: row.order_id, supplierId: row.supplier_id, outcome: ok ? "ok" : "failed", latencyMs, detail: ok ? via : `${via}:${outcome.reason ?? "failed"}`,
      productId: row.product_id, quantity: row.quantity, chargedCents: ok ? (outcome.costCents ?? null) : null,
    }),
    ok ? supplierSucceededStmt(db, t, row.supplier_id) : supplierFailedStmt(db, t, row.supplier_id, BREAKER_THRESHOLD, new Date(Date.now() + BREAKER_OPEN_S * 1000).toISOString()),
    ...eventRows(env, [
      { eventId: `evsos_${row.supplier_id}_${row.order_id}`, tenantId: t, type: "supplier_order_settled", payload: { orderId: row.order_id, supplierId: row.supplier_id, productId: row.product_id, status: outcome.status, via, latencyMs } },
      ...(ok ? [] : [{ eventId: `evsf_${attemptId}`, tenantId: t, type: "supplier_failed" as const, payload: { orderId: row.order_id, supplierId: row.supplier_id, outcome: "failed", latencyMs } }]),
      ...alsoRecord,
    ]),
  ]);
  return true;
}

/**
 * What a cancel request (撤单) did to a pending line: the supplier confirmed it will not recharge it (cancelled), said
 * how it already ended (succeeded / failed), could not cancel it now (refused: mid-recharge), or gave no usable answer.
 */
export type CancelAnswer = "cancelled" | "succeeded" | "failed" | "refused" | "unanswered";

/**
 * Who asks for a cancel and why: `via` the settling path, `by` the operator's API key id (or "poll" for the cron),
 * `reason` the failed line's detail on a confirmed cancel, `at` when (epoch ms).
 */
export type CancelAsk = { via: "poll" | "operator"; by: string; reason: string; at: number };

/**
 * Gives up on a supplier's line only on the supplier's word. A line we stop waiting for is never settled failed on our
 * side alone: the supplier could still recharge it, and the next supplier (or the refund) would pay the buyer twice.
 * So we ask it to cancel (撤单): a confirmed cancel, or its word that the order already failed, settles the line failed
 * (`ask.reason`; `onCancelled` recorded with a confirmed cancel) and the order moves on; "already succeeded" settles it
 * delivered; a refusal or no answer changes nothing — the line stays pending and may be asked again. Idempotent: the
 * supplier answers a repeated cancel as the first, and settling is conditional (the first outcome wins: `applied`
 * says whether it was this call's, and only that caller moves the order on), so a retry, two operators at once or a
 * callback arriving meanwhile apply one outcome once.
 * Every ask is kept on the line (who, when, the answer and its reason: the order page shows it), before anything is
 * settled: a refusal or no answer changes nothing else, and a hung cancel may still take effect upstream.
 */
export async function cancelSupplierOrder(
  env: Env, row: SupplierOrderRow, client: SupplierClient, ask: CancelAsk, onCancelled: EventInput[] = [],
): Promise<{ answer: CancelAnswer; applied: boolean; detail: string | null }> {
  const keep = (answer: CancelAnswer, reason: string | null) =>
    recordCancelAskStmt(env.DB, row.supplier_id, row.order_ref, { at: new Date(ask.at).toISOString(), by: ask.by, answer, reason }).run();
  const res = await client.cancel(row.order_ref).catch(async (e: unknown) => {
    await keep("unanswered", "error");
    throw e;
  });
  if (!res.ok || res.value.orderRef !== row.order_ref) {
    const why = res.ok ? "other_order" : res.outcome;
    await keep("unanswered", why);
    return { answer: "unanswered", applied: false, detail: why };
  }
  const { status, supplierRef, costCents } = res.value;
  const supplierReason = res.value.reason ?? null;
  await keep(status, supplierReason);
  if (status === "refused") return { answer: status, applied: false, detail: supplierReason };
  const applied = status === "succeeded" ? await settleSupplierOrder(env, row, { status, supplierRef, costCents }, ask.via)
    : status === "failed" ? await settleSupplierOrder(env, row, { status, supplierRef, reason: supplierReason ?? "upstream_failed" }, ask.via)
    : await settleSupplierOrder(env, row, { status: "failed", supplierRef, reason: ask.reason }, ask.via, onCancelled);
  // The supplier's failure callback for the cancel (real ones send it) may settle the line first: the cancel we asked
  // for is still recorded (its events are keyed by the line, so once).
  if (status === "cancelled" && !applied && onCancelled.length && (await getSupplierOrder(env.DB, row.supplier_id, row.order_ref))?.status === "failed") {
    await emitEvents(env, onCancelled);
  }
  return { answer: status, applied, detail: supplierReason };
}

/**
 * A recharge whose call timed out and that the supplier still does not know this long after: it most likely never
 * arrived, and the line may go to the next supplier once the supplier confirms that with a cancel (cancelSupplierOrder:
 * it then refuses the order should it still arrive). Before that a slow supplier may still complete it.
 */
export const NOT_RECEIVED_AFTER_S = 120;

/**
 * An order the supplier accepted (it gave us its reference) and then answers `unknown` for, at every poll for this
 * long, looks lost by the supplier (a restart that forgot it, a purge) — a paid order must end delivered or refunded,
 * and the operator cannot refund a line still pending. Why 30 minutes: a supplier that merely has not made an order
 * visible yet, or is failing over, answers `unknown` for seconds or a few minutes, not for 30 consecutive minute polls;
 * a recharge that is just slow (慢充 takes hours) answers `processing`, which restarts the count; and a buyer waiting
 * for a refund should not wait much longer (order_stuck has told the operator at 10 minutes).
 * The rule: `unknown` from the status query is no promise — a supplier that lost track of an order in one system may
 * still recharge it from another (a queue, a replica). So a disowned line is not given up on that word: the supplier
 * is asked to cancel it, and only its confirmed cancel ("cancelled": it will refuse the order from now on) settles the
 * line failed, `disowned`, and moves the order on. A refusal or no answer leaves it pending, asked again at the next
 * poll (the operator sees it waiting on the order page). Should the supplier deliver it after all, in breach of its
 * cancel, its success raises supplier_success_after_failure and changes nothing (the line is already settled).
 */
export const DISOWNED_AFTER_S = 30 * 60;

/**
 * A disowned or never-received line whose cancel the poll has asked for this long, refused or unanswered at every ask,
 * raises supplier_cancel_not_confirmed, once per line: the order cannot move on by itself, so the operator calls the
 * supplier (and, once it confirms, uses 供应商已线下确认撤单). Shorter, and a blip in the supplier's cancel endpoint
 * would page them; order_stuck has told them at 10 minutes that the order is waiting, not why.
 */
export const CANCEL_ALERT_AFTER_S = 10 * 60;

type Polled = { state: "pending" | "succeeded" | "failed"; applied: boolean };
const STILL_PENDING: Polled = { state: "pending", applied: false };

/**
 * Asks the supplier for a pending order's status and settles it when final; answers the row's state after, and whether
 * this poll settled it (only then does its caller move the order on: a callback that settled it first does that).
 */
export async function pollSupplierOrder(env: Env, row: SupplierOrderRow, clientFor: ClientFactory = defaultFactory, now = Date.now()): Promise<Polled> {
  const supplier = await getSupplierById(env.DB, row.supplier_id);
  if (!supplier) return STILL_PENDING;
  const client = await clientFor(supplier, env);
  const st = await client.status(row.order_ref);
  await markPolledStmt(env.DB, row.supplier_id, row.order_ref, new Date().toISOString()).run();
  // "unknown" is not final: a supplier may not show an order it just accepted yet, nor one still on its way after our
  // call timed out. An order it never accepted (no reference) and still does not know after a while most likely never
  // arrived; one it accepted and has not known for DISOWNED_AFTER_S straight it has lost — either is then cancelled
  // there, and moves on only once the supplier confirms. No answer at all changes nothing.
  if (!st.ok) return STILL_PENDING;
  const { status, supplierRef, costCents } = st.value;
  const unknownSince = row.supplier_ref ? await noteUnknown(env.DB, row.supplier_id, row.order_ref, status === "unknown" ? new Date(now).toISOString() : null) : null;
  const neverArrived = status === "unknown" && !row.supplier_ref && now - placedAt(row) >= NOT_RECEIVED_AFTER_S * 1000;
  const disowned = status === "unknown" && unknownSince !== null && now - Date.parse(unknownSince) >= DISOWNED_AFTER_S * 1000;
  if (!neverArrived && !disowned && (status === "processing" || status === "unknown")) return STILL_PENDING;
  let applied: boolean;
  if (disowned || neverArrived) {
    const ask: CancelAsk = { via: "poll", by: "poll", reason: disowned ? "disowned" : "not_received", at: now };
    const res = await cancelSupplierOrder(env, row, client, ask, disowned ? [{
      eventId: `evsdo_${row.supplier_id}_${row.order_id}`, tenantId: row.tenant_id, type: "alert",
      payload: { kind: "supplier_disowned_order", orderId: row.order_id, supplierId: row.supplier_id, supplierRef: row.supplier_ref, unknownSince, placedAt: new Date(placedAt(row)).toISOString() },
    }] : []);
    applied = res.applied;
    // Asked at every poll since the line needed a cancel, and still not confirmed: the order cannot move on by itself.
    const askingSince = disowned ? Date.parse(unknownSince!) + DISOWNED_AFTER_S * 1000 : placedAt(row) + NOT_RECEIVED_AFTER_S * 1000;
    if ((res.answer === "refused" || res.answer === "unanswered") && now - askingSince >= CANCEL_ALERT_AFTER_S * 1000) {
      await emitEvent(env, {
        eventId: `evscn_${row.supplier_id}_${row.order_id}`, tenantId: row.tenant_id, type: "alert",
        payload: {
          kind: "supplier_cancel_not_confirmed", orderId: row.order_id, supplierId: row.supplier_id, supplierRef: row.supplier_ref,
          why: ask.reason, answer: res.answer, answerDetail: res.detail, askingSince: new Date(askingSince).toISOString(),
        },
      });
    }
  } else {
    applied = await settleSupplierOrder(env, row, { status: status as "succeeded" | "failed", supplierRef, costCents }, "poll");
  }
  const state = ((await getSupplierOrder(env.DB, row.supplier_id, row.order_ref))?.status ?? "pending") as Polled["state"];
  return { state, applied };
}
