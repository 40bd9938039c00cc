import { z } from "zod";
import { EventEnvelope } from "../../schema/events";
import { eventRetrySettings, retryDelaySeconds } from "../domain/backoff";
import { signBody } from "../domain/signature";
import { storeDeadLetters } from "../db/dead-letters";
import { routeOutbound } from "./webhooks";

export const DEAD_LETTER_QUEUE = "kaquan-events-dlq";
/** A message carries one envelope or, from bulk producers (emitEventBundles), an array of them. */
const QueuedEvents = z.union([EventEnvelope, z.array(EventEnvelope).min(1).max(1000)]);
export const WAREHOUSE_BATCH = 5000; // IngestBatch's maximum
const DELIVERY_CONCURRENCY = 3;

/**
 * Queue consumer. Main queue: deliver the batch to the warehouse; on any failure retry each message with
 * exponential back-off (EVENT_RETRY_* vars; with wrangler.toml's max_retries they cover a warehouse outage of more
 * than 10 minutes), after which the runtime moves it to the dead-letter queue.
 * Dead-letter queue: park events in D1, from where the cron re-drives them to the warehouse (queue/redrive.ts).
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: { msg: Message<unknown>; events: EventEnvelope[] }[] = [];
  const malformed: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    const parsed = QueuedEvents.safeParse(msg.body);
    if (parsed.success) valid.push({ msg, events: Array.isArray(parsed.data) ? parsed.data : [parsed.data] });
    else malformed.push(msg);
  }
  for (const msg of malformed) {
    // A body that does not parse can never succeed: log its id only (no payload) and drop it from the queue.
    console.error(JSON.stringify({ at: "queue", problem: "malformed_event", messageId: msg.id, queue: batch.queue }));
    msg.ack();
  }
  if (valid.length === 0) return;

  if (batch.queue === DEAD_LETTER_QUEUE) {
    const items = valid.flatMap(({ msg, events }) => events.map((event) => ({ event, attempts: msg.attempts })));
    for (let i = 0; i < items.length; i += 500) await storeDeadLetters(env.DB, items.slice(i, i + 500));
    for (const { msg } of valid) msg.ack();
    return;
  }

  try {
    // A redelivery after a partial failure re-sends chunks already stored; the warehouse skips known ids.
    const events = valid.flatMap((v) => v.events);
    await routeOutbound(env, events); // webhooks and alerts; idempotent per event, so a retried batch adds nothing
    const chunks: EventEnvelope[][] = [];
    for (let i = 0; i < events.length; i += WAREHOUSE_BATCH) chunks.push(events.slice(i, i + WAREHOUSE_BATCH));
    // A few chunks in flight at once: the warehouse parses and validates the next ones while it inserts, and groups
    // those waiting into one insert. Any failure retries the whole batch, as before.
    let next = 0;
    const lane = async () => {
      while (next < chunks.length) await deliverToWarehouse(env, chunks[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, chunks.length) }, lane));
    for (const { msg } of valid) msg.ack();
  } catch (e) {
    console.warn(JSON.stringify({ at: "queue", problem: "warehouse_unavailable", messages: valid.length, detail: String(e) }));
    const { baseS, capS } = eventRetrySettings(env);
    for (const { msg } of valid) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts, baseS, capS) });
  }
}

export async function deliverToWarehouse(env: Pick<Env, "WAREHOUSE_URL" | "WAREHOUSE_INGEST_SECRET">, events: EventEnvelope[]) {
  const body = JSON.stringify({ events });
  const res = await fetch(new URL("/v1/ingest", env.WAREHOUSE_URL), {
    method: "POST",
    headers: { "content-type": "application/json", "x-kaquan-signature": await signBody(env.WAREHOUSE_INGEST_SECRET, body) },
    body,
    // Generous: under a backlog the warehouse queues ingests (merging them), and a delivery given up too early is
    // retried with back-off while the first still lands — slower, never lost (repeats are dropped by event_id).
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`warehouse answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return res.json();
}
