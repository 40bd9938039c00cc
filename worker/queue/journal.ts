import type { EventEnvelope, JournaledMessage } from "../../schema/events";
import { newId } from "../domain/crypto";
import { postponeJournal, recordJournal, takeDueJournal } from "../db/event-journal";
import { bundleEvents, MESSAGE_FORMAT } from "./send";

type JournalEnv = Pick<Env, "DB" | "EVENTS">;

/** A message still unconfirmed this long after it was sent goes again (then 2×, 4× … up to RESEND_CAP_S). */
export const RESEND_AFTER_S = 60;
const RESEND_CAP_S = 1800;
const RESEND_LIMIT = 200;
/**
 * The cron resends in rounds of RESEND_LIMIT for up to this long (and at most CRON_ROUNDS rounds): after a warehouse
 * outage thousands of messages are due at once, and one round a minute took half an hour to catch up.
 */
const CRON_BUDGET_MS = 15_000;
const CRON_ROUNDS = 50;

/**
 * Every producer's way onto the events Queue: bundles the envelopes into messages, journals each message in D1 (20 a
 * transaction), then sends it. The journal row stays until the consumer has the warehouse's answer, so what
 * the Queue loses — a killed local stack loses everything Miniflare's in-memory broker held — or refuses is sent again
 * by the cron (resendJournal): once this resolves the events are the journal's to deliver, and the producer is done.
 * Throws only when the journal could not be written (then nothing was accepted).
 */
export async function sendJournaled(env: JournalEnv, events: EventEnvelope[], now = Date.now()): Promise<void> {
  if (events.length) await journalThenSend(env, events, [], now);
}

/**
 * sendJournaled, with the caller's statements `also` committed in the same transaction as the (last) journal rows:
 * the dispatcher marks its outbox rows sent there, as the journal owns the events from then on (one D1 round trip
 * fewer per dispatch). Returns the results of `also`.
 */
export async function journalThenSend(env: JournalEnv, events: EventEnvelope[], also: D1PreparedStatement[], now = Date.now()): Promise<D1Result[]> {
  const messages = bundleEvents(events).map((b) => ({ id: newId("jr"), body: b.json, events: b.events }));
  const results = await recordJournal(env.DB, messages.map((m) => ({ id: m.id, body: m.body, events: m.events.length })), now, now + RESEND_AFTER_S * 1000, also);
  try {
    for (const m of messages) await sendMessage(env, m.id, m.events);
  } catch (e) {
    console.error(JSON.stringify({ at: "journal", problem: "send_refused", journaled: events.length, error: (e instanceof Error ? e.message : String(e)).slice(0, 200) }));
  }
  return results;
}

const sendMessage = (env: Pick<Env, "EVENTS">, journal: string, events: EventEnvelope[]) =>
  env.EVENTS.send({ journal, events } satisfies JournaledMessage, { contentType: MESSAGE_FORMAT });

/** Consumer side: these messages are being retried by the Queue after `delayS`; no resend before that has passed. */
export async function holdJournal(env: Pick<Env, "DB">, ids: string[], delayS: number): Promise<void> {
  await postponeJournal(env.DB, ids, Date.now() + (delayS + RESEND_AFTER_S) * 1000).catch((e) =>
    console.warn(JSON.stringify({ at: "journal", problem: "postpone_failed", error: e instanceof Error ? e.message : String(e) })),
  );
}

/**
 * The cron's part: sends again the journaled messages still unconfirmed when due. Only those journaled before the
 * Queue's oldest waiting message (a deep backlog's messages are still there, not lost); when the runtime reports no
 * metrics, all that are due. With `everything`: every message journaled before now, due or not and whatever the
 * Queue holds (an operator after a Queue incident; `npm start` as it starts, since the local broker comes back empty),
 * in rounds until none is left. The cron too goes round after round while due messages remain, within its budget.
 * Returns how many went.
 */
export async function resendJournal(env: JournalEnv, now = Date.now(), opts: { everything?: boolean } = {}): Promise<number> {
  const oldest = opts.everything ? null : oldestQueuedAt(await queueMetrics(env.EVENTS));
  const started = Date.now();
  let sent = 0;
  let afterSeq = 0;
  for (let round = 0; round < CRON_ROUNDS && (opts.everything || Date.now() - started < CRON_BUDGET_MS); round++) {
    const rows = await takeDueJournal(env.DB, {
      now, dueBy: opts.everything ? Infinity : now, createdBefore: oldest ?? now, afterSeq, limit: RESEND_LIMIT, baseS: RESEND_AFTER_S, capS: RESEND_CAP_S,
    });
    afterSeq = rows.at(-1)?.seq ?? afterSeq;
    let refused = false;
    for (const row of rows) {
      try {
        await sendMessage(env, row.id, JSON.parse(row.body) as EventEnvelope[]);
        sent++;
      } catch (e) {
        console.warn(JSON.stringify({ at: "journal", problem: "resend_refused", error: e instanceof Error ? e.message : String(e) }));
        refused = true; // the Queue is refusing: the rest wait for their next turn
        break;
      }
    }
    if (rows.length) console.log(JSON.stringify({ at: "journal", resent: sent, due: rows.length }));
    if (refused || rows.length < RESEND_LIMIT) break;
  }
  return sent;
}

/** The Queue's backlog as the runtime reports it (null when it does not answer within a second). */
export async function queueMetrics(queue: Queue): Promise<QueueMetrics | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // A queue without metrics (a test double) throws here; a late answer or failure after the second is ignored.
    const metrics = queue.metrics();
    metrics.catch(() => undefined);
    return await Promise.race([metrics, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 1000)))]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * When the Queue's oldest waiting message was sent (epoch ms), null when none waits or the runtime does not say.
 * Miniflare reports an empty queue's oldest message as 0 (the epoch): that is no message, not one 56 years old.
 */
export function oldestQueuedAt(metrics: QueueMetrics | null): number | null {
  const at = metrics && metrics.backlogCount > 0 && metrics.oldestMessageTimestamp ? new Date(metrics.oldestMessageTimestamp).getTime() : 0;
  return at > 0 ? at : null;
}
