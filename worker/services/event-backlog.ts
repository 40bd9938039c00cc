import { deadLetterBacklog } from "../db/dead-letters";
import { journalBacklog } from "../db/event-journal";
import { outboxBacklog } from "../db/event-outbox";
import { oldestQueuedAt, queueMetrics, resendJournal } from "../queue/journal";

const ageOf = (at: number | null, now: number) => (at === null ? null : Math.max(0, Math.round((now - at) / 1000)));
const ageSeconds = (iso: string | null, now: number) => ageOf(iso ? Date.parse(iso) : null, now);

/**
 * What waits to reach the warehouse, platform-wide (counts and ages only, no event content): events the Queue refused
 * (outbox, re-sent by the cron), events sent but not yet confirmed stored by the warehouse (the journal: in the Queue,
 * or lost by it and re-sent by the cron), events the queue gave up on (dead letters, re-driven by the cron) and the
 * Queue's own backlog where the runtime reports it (messages waiting for a retry delay are not in it).
 */
export async function eventBacklog(env: Pick<Env, "DB" | "EVENTS">, now = Date.now()) {
  const [outbox, journal, deadLetters, queue] = await Promise.all([
    outboxBacklog(env.DB),
    journalBacklog(env.DB),
    deadLetterBacklog(env.DB),
    queueMetrics(env.EVENTS),
  ]);
  return {
    outbox: { ...outbox, oldestAgeSeconds: ageSeconds(outbox.oldestAt, now) },
    inFlight: { ...journal, oldestAgeSeconds: ageSeconds(journal.oldestAt, now) },
    deadLetters: { ...deadLetters, oldestAgeSeconds: ageSeconds(deadLetters.oldestAt, now) },
    queue: queue && { backlog: queue.backlogCount, oldestAgeSeconds: ageOf(oldestQueuedAt(queue), now) },
  };
}

/**
 * Sends every journaled message again now, due or not (the warehouse drops what it already has): for an operator
 * after a Queue incident, and for `npm start` as it starts, since the local broker comes back empty.
 */
export async function resendInFlight(env: Pick<Env, "DB" | "EVENTS">): Promise<{ resent: number; remaining: number }> {
  const resent = await resendJournal(env, Date.now(), { everything: true });
  return { resent, remaining: (await journalBacklog(env.DB)).messages };
}
