import { EventEnvelope } from "../../schema/events";
import { retryDelaySeconds } from "../domain/backoff";
import { signBody } from "../domain/signature";
import { storeDeadLetters } from "../db/dead-letters";

export const DEAD_LETTER_QUEUE = "kaquan-events-dlq";

/**
 * Queue consumer. Main queue: deliver the batch to the warehouse; on any failure retry each message with
 * exponential back-off (the runtime moves it to the dead-letter queue after max_retries).
 * Dead-letter queue: park events in D1 so they are never dropped silently and can be replayed.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: { msg: Message<unknown>; event: EventEnvelope }[] = [];
  const malformed: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    const parsed = EventEnvelope.safeParse(msg.body);
    if (parsed.success) valid.push({ msg, event: parsed.data });
    else malformed.push(msg);
  }
  for (const msg of malformed) {
    // A body that does not parse can never succeed: log its id only (no payload) and drop it from the queue.
    console.error(JSON.stringify({ at: "queue", problem: "malformed_event", messageId: msg.id, queue: batch.queue }));
    msg.ack();
  }
  if (valid.length === 0) return;

  if (batch.queue === DEAD_LETTER_QUEUE) {
    await storeDeadLetters(env.DB, valid.map(({ msg, event }) => ({ event, attempts: msg.attempts })));
    for (const { msg } of valid) msg.ack();
    return;
  }

  try {
    await deliverToWarehouse(env, valid.map((v) => v.event));
    for (const { msg } of valid) msg.ack();
  } catch (e) {
    console.warn(JSON.stringify({ at: "queue", problem: "warehouse_unavailable", events: valid.length, detail: String(e) }));
    for (const { msg } of valid) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  }
}

export async function deliverToWarehouse(env: Pick<Env, "WAREHOUSE_URL" | "WAREHOUSE_INGEST_SECRET">, events: EventEnvelope[]) {
  const body = JSON.stringify({ events });
  const res = await fetch(new URL("/v1/ingest", env.WAREHOUSE_URL), {
    method: "POST",
    headers: { "content-type": "application/json", "x-kaquan-signature": await signBody(env.WAREHOUSE_INGEST_SECRET, body) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`warehouse answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return res.json();
}
