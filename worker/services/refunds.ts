/**
 * Refunds through the gateway, tracked to completion. The refund row is written pending (within what the charge
 * allows, race-safe) BEFORE the gateway is asked, under an id the gateway treats as idempotent (out_refund_no), so a
 * crash, a timeout or a retry never pays back twice; the gateway's answer, its refund notice or the cron's query
 * completes it. An adapter throws on a transport failure (the row stays pending and is asked again) and answers
 * ok: false only on a refusal (the row fails).
 */
import { completePaymentStmt, failRefundStmt, getPaymentById, insertRefundStmt, markRefundsPolledStmts, pendingRefunds, setRefundRefStmt, type PaymentRow } from "../db/payments";
import { providerFor } from "../payments/provider-registry";
import type { PaymentProvider, RefundState } from "../payments/provider";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { finishRefusedRefunds, giveBackRefusedRefund } from "./refund-reversal";

export type RefundOutcome = RefundState | "refused" | "unavailable";

/** Asks the gateway to refund `amountCents` of `charge` as `refundId`; a repeat with the same id is the same refund. */
export async function refundCharge(env: Env, charge: PaymentRow, amountCents: number, reason: string, refundId: string): Promise<RefundOutcome> {
  const db = env.DB;
  await insertRefundStmt(db, charge, refundId, amountCents, reason).run();
  const row = await getPaymentById(db, refundId);
  // Not inserted and not there: it would exceed what was charged (or the amount is not positive).
  if (!row || row.tenant_id !== charge.tenant_id || row.refund_of !== charge.id) return "refused";
  if (row.status === "succeeded") return "succeeded";
  if (row.status === "failed") return "failed";
  const provider = await providerFor(env, charge.provider, charge.tenant_id);
  if (!provider) return "unavailable";
  return askGateway(env, provider, charge, row);
}

async function askGateway(env: Env, provider: PaymentProvider, charge: PaymentRow, row: PaymentRow): Promise<RefundOutcome> {
  const res = await provider.refund(charge, row.amount_cents, row.id, row.reason ?? "refund").catch((e) => {
    console.error(JSON.stringify({ at: "refund", refundId: row.id, error: e instanceof Error ? e.message : String(e) }));
    return null;
  });
  if (!res) return "processing"; // unknown: the cron asks the gateway again under the same id
  if (!res.ok) {
    await finishRefund(env, row, "failed", null, res.reason);
    return "failed";
  }
  if (res.state === "processing") {
    await setRefundRefStmt(env.DB, row.tenant_id, row.id, res.refundRef).run();
    return "processing";
  }
  await finishRefund(env, row, res.state, res.refundRef);
  return res.state;
}

/**
 * pending → succeeded|failed once, with refund_settled in the same transaction. A refusal keeps the gateway's reason
 * and, for a refund already recorded as made (it was processing), gives back what it took (services/refund-reversal.ts).
 */
export async function finishRefund(env: Env, row: PaymentRow, state: "succeeded" | "failed", refundRef: string | null, why?: string): Promise<boolean> {
  const reason = why ?? row.reason;
  const [done] = await env.DB.batch([
    state === "failed" ? failRefundStmt(env.DB, row.tenant_id, row.id, refundRef, (why ?? "refused").slice(0, 200)) : completePaymentStmt(env.DB, row.tenant_id, row.id, state, refundRef),
    ...eventRows(env, [{
      eventId: `evrs_${row.id}`, tenantId: row.tenant_id, type: "refund_settled",
      payload: { refundId: row.id, paymentId: row.refund_of ?? row.id, orderId: row.order_id, amountCents: row.amount_cents, state, provider: row.provider, ...(reason ? { reason: reason.slice(0, 120) } : {}) },
    }], { sql: "changes() = 1", args: [] }),
  ]);
  const failed = done!.results[0] as PaymentRow | undefined;
  if (failed?.follow_up === "undo") await giveBackRefusedRefund(env, failed);
  return done!.results.length > 0;
}

/**
 * A gateway's refund notice: completes our refund row (its tenant must be the notice's account's, its gateway the
 * notice's) with what the gateway, asked by us, says of it — a notice is a hint, as for payments. One the gateway does
 * not confirm yet stays pending for the minute poll (the notice is still acknowledged: we know where to ask).
 */
export async function refundNotice(env: Env, provider: PaymentProvider, tenantId: string | null, refundId: string, refundRef: string | undefined): Promise<boolean> {
  const row = await getPaymentById(env.DB, refundId);
  if (!row || row.kind !== "refund" || (tenantId && row.tenant_id !== tenantId) || row.provider !== provider.name) return false;
  if (row.status !== "pending") return true;
  const charge = row.refund_of ? await getPaymentById(env.DB, row.refund_of) : null;
  const known = charge ? await provider.queryRefund(charge, row.id).catch(() => null) : null;
  if (!known || known.state === "processing" || known.state === "not_found") return true;
  await finishRefund(env, row, known.state, known.refundRef ?? refundRef ?? row.provider_ref, known.reason);
  return true;
}

/** Cron: refunds still pending a minute after they were asked — ask the gateway where each stands. */
export async function pollPendingRefunds(env: Env, limit = 50): Promise<number> {
  const olderThan = new Date(Date.now() - 60_000).toISOString();
  let settled = 0;
  const due = await pendingRefunds(env.DB, olderThan, limit);
  // Marked before they are asked: a refund the gateway keeps processing goes behind the others, so more than `limit`
  // of those never keep a later one from being asked (a crash here only delays these a minute).
  if (due.length) await env.DB.batch(markRefundsPolledStmts(env.DB, due.map((r) => r.id), new Date().toISOString()));
  for (const row of due) {
    const charge = row.refund_of ? await getPaymentById(env.DB, row.refund_of) : null;
    const provider = charge ? await providerFor(env, charge.provider, charge.tenant_id) : null;
    if (!charge || !provider) continue;
    const known = await provider.queryRefund(charge, row.id).catch(() => null);
    if (!known || known.state === "processing") continue;
    if (known.state === "not_found") {
      // The gateway never got it (a crash or timeout before it answered): ask again, same id.
      if ((await askGateway(env, provider, charge, row)) !== "processing") settled++;
      continue;
    }
    if (await finishRefund(env, row, known.state, known.refundRef ?? row.provider_ref, known.reason)) settled++;
  }
  // Refused after they were recorded, with the give-back cut short by a crash.
  settled += await finishRefusedRefunds(env);
  if (settled) await scheduleDispatch(env);
  return settled;
}
