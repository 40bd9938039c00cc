/**
 * Account erasure, run by the cron (every minute; the promise is "within 24 h"). Per request:
 *  1. pending → scrubbed: once the buyer has no order still moving (unpaid with stock held, or paid and being
 *     delivered — minutes as a rule, a day for a group-buy seat waiting for its team), D1 is pseudonymised in one
 *     transaction (db/privacy.ts scrubStmts). A request that has to wait goes behind the others (next_at).
 *  2. scrubbed → completed: the warehouse re-keys the user's events to the pseudonym (analytics/privacy.ts). Events
 *     already on their way (queued before the scrub) may land after a first pass, so completion waits until a pass
 *     at least SETTLE_MS after the scrub finds nothing left; then erasure_completed is recorded and the request keeps
 *     only the pseudonym.
 * The provenance ledger is not touched: its entries hold voucher ids, public codes, stores and amounts, never a
 * buyer (worker/durable/README.md "Ledger and erasure").
 */
import { getBuyer } from "../db/buyers";
import { buyerDeviceIds, completeErasureStmt, deferErasure, dueErasures, getErasure, mergedGuestIds, openOrderCount, scrubStmts, type ErasureRow } from "../db/privacy";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { warehouseWrite } from "./warehouse";

export const SETTLE_MS = 2 * 60_000;
/** A request that has to wait (an order still moving, events not settled) is looked at again a cron minute later. */
const WAIT_MS = 60_000;

export async function runErasures(env: Env, now = Date.now()): Promise<{ scrubbed: number; completed: number }> {
  let scrubbed = 0;
  let completed = 0;
  const at = (ms: number) => new Date(ms).toISOString();
  // A request not finished this run goes behind those due before it: one that has to wait never holds others back.
  for (let e of await dueErasures(env.DB, at(now))) {
    try {
      if (e.status === "pending") {
        const done = await scrub(env, e);
        if (!done) {
          await deferErasure(env.DB, e.id, at(now + WAIT_MS));
          continue;
        }
        scrubbed++;
        e = done;
      }
      if (await finish(env, e, now)) completed++;
      // Re-keyed once right after the scrub; the next pass that can complete it is the first past the settle time.
      else await deferErasure(env.DB, e.id, at(Math.max(now + WAIT_MS, Date.parse(e.scrubbed_at!) + SETTLE_MS)));
    } catch (err) {
      // A warehouse outage: tried again after 1, 2, 4 … minutes, at most every 30.
      await deferErasure(env.DB, e.id, at(now + Math.min(2 ** e.attempts, 30) * WAIT_MS), err instanceof Error ? err.message : String(err));
    }
  }
  if (scrubbed || completed) await scheduleDispatch(env);
  return { scrubbed, completed };
}

/** D1's part; null while an order of the buyer is still moving (the next run tries again). */
async function scrub(env: Env, e: ErasureRow): Promise<ErasureRow | null> {
  const buyer = await getBuyer(env.DB, e.tenant_id, e.buyer_id);
  if (buyer && (await openOrderCount(env.DB, e.tenant_id, e.buyer_id)) > 0) return null;
  const ids = [e.buyer_id, ...(await mergedGuestIds(env.DB, e.tenant_id, e.buyer_id))];
  const devices = await buyerDeviceIds(env.DB, e.tenant_id, ids);
  await env.DB.batch(scrubStmts(env.DB, e, ids, devices, buyer?.phone_hash ?? null));
  return (await getErasure(env.DB, e.tenant_id, e.id))!;
}

/** The warehouse's part, then completion once a pass after the settle time found nothing left. */
async function finish(env: Env, e: ErasureRow, now: number): Promise<boolean> {
  const ids = JSON.parse(e.subject_ids) as string[];
  const deviceIds = JSON.parse(e.device_ids) as string[];
  const { remaining } = await warehouseWrite<{ remaining: number }>(env, "/v1/privacy/rekey", { tenantId: e.tenant_id, userIds: ids, deviceIds, pseudonym: e.pseudonym });
  if (remaining > 0 || now - Date.parse(e.scrubbed_at!) < SETTLE_MS) return false;
  const minutesTaken = Math.max(0, Math.round((now - Date.parse(e.requested_at)) / 60_000));
  await env.DB.batch([
    completeErasureStmt(env.DB, e.id),
    ...eventRows(env, [{
      tenantId: e.tenant_id, type: "erasure_completed", eventId: `eve_${e.id}`, actor: { userId: e.pseudonym },
      payload: { requestId: e.id, requestedAt: e.requested_at, minutesTaken },
    }], { sql: "changes() = 1", args: [] }),
  ]);
  return true;
}
