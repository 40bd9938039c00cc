import { ClaimWon } from "../../schema/claim-facts";
import { EventEnvelope } from "../../schema/events";
import { eventRetrySettings, retryDelaySeconds } from "../domain/backoff";
import { claimDueDeadLetters, deferDeadLetters, deleteDeadLetters, parkedBody } from "../db/dead-letters";
import { deliverToWarehouse, WAREHOUSE_BATCH } from "./consume";
import { sendClaimFacts } from "./send";

type RedriveEnv = Pick<Env, "DB" | "CLAIMS" | "WAREHOUSE_URL" | "WAREHOUSE_INGEST_SECRET" | "EVENT_RETRY_BASE_SECONDS" | "EVENT_RETRY_CAP_SECONDS">;

/** Longer than a delivery may take (30 s timeout), so a lease never ends while its delivery still runs. */
const LEASE_MS = 120_000;

export interface RedriveOptions {
  /** Fixed clock (tests); otherwise Date.now() per chunk. */
  now?: number;
  /** Stop taking new chunks after this long, leaving the rest to the next cron run. */
  budgetMs?: number;
  limit?: number;
}

/**
 * Re-drives dead letters (events the queue gave up on) straight to the warehouse, oldest first, in chunks, and
 * deletes each chunk once the warehouse has stored it. A refused chunk waits with exponential back-off (the same
 * settings as the queue's retries) and ends this run: while the warehouse is down a run costs one failed request.
 * Runs from the minute cron, so no person has to replay anything; the warehouse drops ids it already has.
 */
export async function redriveDeadLetters(env: RedriveEnv, opts: RedriveOptions = {}): Promise<{ delivered: number; deferred: number }> {
  const clock = () => opts.now ?? Date.now();
  const started = Date.now();
  const budgetMs = opts.budgetMs ?? 25_000;
  const backoff = eventRetrySettings(env);
  let delivered = 0;
  let deferred = 0;
  while (Date.now() - started < budgetMs) {
    const now = clock();
    const rows = await claimDueDeadLetters(env.DB, now, now + LEASE_MS, opts.limit ?? WAREHOUSE_BATCH);
    if (rows.length === 0) break;
    const events: EventEnvelope[] = [];
    const unreadable: typeof rows = [];
    const facts: { row: (typeof rows)[number]; fact: ClaimWon }[] = [];
    for (const row of rows) {
      const body = parkedBody(row);
      const parsed = EventEnvelope.safeParse(body);
      const fact = parsed.success ? null : ClaimWon.safeParse(body);
      if (parsed.success) events.push(parsed.data);
      else if (fact?.success) facts.push({ row, fact: fact.data });
      else unreadable.push(row);
    }
    // Won-claim facts go back to the claims Queue (its consumer skips claims settled meanwhile), not to the warehouse.
    if (facts.length) {
      try {
        await sendClaimFacts(env, facts.map((f) => f.fact));
        await deleteDeadLetters(env.DB, facts.map((f) => f.row.event_id));
        delivered += facts.length;
      } catch (e) {
        await deferDeadLetters(env.DB, facts.map((f) => f.row), (redrives) => now + retryDelaySeconds(redrives, backoff.baseS, backoff.capS) * 1000, e instanceof Error ? e.message : String(e));
        deferred += facts.length;
      }
    }
    // Stored by the DLQ consumer after the same validation, so this should not happen; kept visible, never dropped.
    if (unreadable.length) {
      await deferDeadLetters(env.DB, unreadable, () => now + backoff.capS * 1000, "unreadable envelope");
      deferred += unreadable.length;
    }
    const readable = rows.filter((r) => !unreadable.includes(r) && !facts.some((f) => f.row === r));
    if (!readable.length) continue;
    try {
      await deliverToWarehouse(env, events);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      await deferDeadLetters(env.DB, readable, (redrives) => now + retryDelaySeconds(redrives, backoff.baseS, backoff.capS) * 1000, error);
      deferred += readable.length;
      console.warn(JSON.stringify({ at: "redrive", problem: "warehouse_unavailable", deferred: readable.length, detail: error.slice(0, 200) }));
      break;
    }
    await deleteDeadLetters(env.DB, readable.map((r) => r.event_id));
    delivered += readable.length;
  }
  if (delivered) console.log(JSON.stringify({ at: "redrive", delivered }));
  return { delivered, deferred };
}

