import { deadLetterBacklog } from "../db/dead-letters";
import { outboxBacklog } from "../db/event-outbox";

const ageSeconds = (iso: string | null, now: number) => (iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : null);

/**
 * What waits to reach the warehouse, platform-wide (counts and ages only, no event content): events the Queue refused
 * (outbox, re-sent by the cron), events the queue gave up on (dead letters, re-driven by the cron) and the Queue's
 * own backlog where the runtime reports it (messages waiting for a retry delay are not in it).
 */
export async function eventBacklog(env: Pick<Env, "DB" | "EVENTS">, now = Date.now()) {
  const [outbox, deadLetters, queue] = await Promise.all([
    outboxBacklog(env.DB),
    deadLetterBacklog(env.DB),
    queueMetrics(env.EVENTS),
  ]);
  return {
    outbox: { ...outbox, oldestAgeSeconds: ageSeconds(outbox.oldestAt, now) },
    deadLetters: { ...deadLetters, oldestAgeSeconds: ageSeconds(deadLetters.oldestAt, now) },
    queue: queue && { backlog: queue.backlogCount, oldestAgeSeconds: queueAgeSeconds(queue, now) },
  };
}

/** Miniflare reports an empty queue's oldest message as 0 (the epoch): that is no message, not one 56 years old. */
function queueAgeSeconds(metrics: QueueMetrics, now: number): number | null {
  const at = metrics.backlogCount > 0 && metrics.oldestMessageTimestamp ? new Date(metrics.oldestMessageTimestamp).getTime() : 0;
  return at > 0 ? ageSeconds(new Date(at).toISOString(), now) : null;
}

async function queueMetrics(queue: Queue): Promise<QueueMetrics | null> {
  try {
    return await Promise.race([queue.metrics(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]);
  } catch {
    return null;
  }
}
