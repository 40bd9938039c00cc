import { gzipSync } from "node:zlib";
import { z } from "zod";
import { ClaimWon } from "../../schema/claim-facts";
import { EventEnvelope, hasEnvelopeFrame, issueText, isJournaledMessage, type IngestRejection, type IngestResult } from "../../schema/events";
import { eventRetrySettings, retryDelaySeconds } from "../domain/backoff";
import { signBody } from "../domain/signature";
import { storeDeadLetters, storeInvalidEvents } from "../db/dead-letters";
import { settleJournal } from "../db/event-journal";
import { holdJournal } from "./journal";
import { routeOutbound } from "./webhooks";
import { notifyDeliveries } from "../services/buyer-notices";

export const DEAD_LETTER_QUEUE = "kaquan-events-dlq";
/** Before the journal, a message carried one envelope or an array of them: still read. */
const QueuedBody = z.union([z.array(z.unknown()).min(1).max(1000), z.unknown()]);
const EnvelopeKeys = z.object({ eventId: z.string().min(1).max(64), tenantId: z.string().min(1).max(64), type: z.string() });
export const WAREHOUSE_BATCH = 5000; // IngestBatch's maximum
const DELIVERY_CONCURRENCY = 3;

/**
 * Queue consumer. Main queue: deliver the batch to the warehouse; on any failure retry each message with
 * exponential back-off (EVENT_RETRY_* vars; with wrangler.toml's max_retries they cover a warehouse outage of more
 * than 10 minutes), after which the runtime moves it to the dead-letter queue.
 * Dead-letter queue: park events in D1, from where the cron re-drives them to the warehouse (queue/redrive.ts).
 * Either way, a message's journal row (queue/journal.ts) is deleted just before the message is acknowledged: from then
 * on its events are in the warehouse or parked in D1, so the cron has nothing to send again.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: { msg: Message<unknown>; events: EventEnvelope[] }[] = [];
  const malformed: Message<unknown>[] = [];
  const invalid: Parameters<typeof storeInvalidEvents>[1] = [];
  // Won-claim facts the claims consumer gave up on share this dead-letter queue: parked the same way, re-driven
  // to the claims Queue (queue/redrive.ts).
  const deadFacts: Parameters<typeof storeDeadLetters>[1] = [];
  const journalOf = new Map<Message<unknown>, string>();
  const journalIds = (msgs: Message<unknown>[]) => msgs.flatMap((m) => journalOf.get(m) ?? []);
  for (const msg of batch.messages) {
    const fact = batch.queue === DEAD_LETTER_QUEUE ? ClaimWon.safeParse(msg.body) : null;
    if (fact?.success) {
      deadFacts.push({ event: fact.data, attempts: msg.attempts });
      msg.ack();
      continue;
    }
    const journaled = isJournaledMessage(msg.body) ? msg.body : null;
    if (journaled) journalOf.set(msg, journaled.journal);
    const body = journaled ? journaled.events : QueuedBody.parse(msg.body);
    const events: EventEnvelope[] = [];
    for (const raw of Array.isArray(body) ? body : [body]) {
      // The frame is enough here: the warehouse checks each payload (refusals dead-lettered below), and what this
      // consumer acts on itself is checked in full where it acts (routeOutbound, notifyDeliveries).
      if (hasEnvelopeFrame(raw)) {
        events.push(raw);
        continue;
      }
      const parsed = EventEnvelope.safeParse(raw);
      if (parsed.success) {
        events.push(parsed.data);
        continue;
      }
      // An envelope whose payload does not match its type can never succeed: dead-lettered with the failing path
      // (no retries); one without even an id is dropped with its message id logged.
      const keys = EnvelopeKeys.safeParse(raw);
      const issue = parsed.error.issues[0]!;
      if (keys.success) invalid.push({ ...keys.data, body: JSON.stringify(raw), error: `invalid payload: ${issueText(issue)}` });
    }
    if (events.length) valid.push({ msg, events });
    else malformed.push(msg);
  }
  if (deadFacts.length) await storeDeadLetters(env.DB, deadFacts);
  if (invalid.length) {
    await storeInvalidEvents(env.DB, invalid);
    console.error(JSON.stringify({ at: "queue", problem: "invalid_events", count: invalid.length, first: invalid[0]!.error }));
  }
  // Nothing in these can ever succeed (what was readable is parked above): their journal rows go with them.
  if (malformed.length) await settleJournal(env.DB, journalIds(malformed));
  for (const msg of malformed) {
    // A body that does not parse can never succeed: log its id only (no payload) and drop it from the queue.
    console.error(JSON.stringify({ at: "queue", problem: "malformed_event", messageId: msg.id, queue: batch.queue }));
    msg.ack();
  }
  if (valid.length === 0) return;

  if (batch.queue === DEAD_LETTER_QUEUE) {
    const items = valid.flatMap(({ msg, events }) => events.map((event) => ({ event, attempts: msg.attempts })));
    for (let i = 0; i < items.length; i += 500) await storeDeadLetters(env.DB, items.slice(i, i + 500));
    await settleJournal(env.DB, journalIds(valid.map((v) => v.msg)));
    for (const { msg } of valid) msg.ack();
    return;
  }

  try {
    // A redelivery after a partial failure re-sends chunks already stored; the warehouse skips known ids.
    const events = valid.flatMap((v) => v.events);
    await routeOutbound(env, events); // webhooks and alerts; idempotent per event, so a retried batch adds nothing
    await notifyDeliveries(env, events); // the buyer's delivery notice (SMS / webhook), once per order
    const chunks: EventEnvelope[][] = [];
    for (let i = 0; i < events.length; i += WAREHOUSE_BATCH) chunks.push(events.slice(i, i + WAREHOUSE_BATCH));
    // A few chunks in flight at once: the warehouse parses and validates the next ones while it inserts, and groups
    // those waiting into one insert. Any failure retries the whole batch, as before.
    let next = 0;
    const refused: Parameters<typeof storeInvalidEvents>[1] = [];
    const lane = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        const result = await deliverToWarehouse(env, chunk);
        for (const r of result.rejected ?? []) {
          const e = chunk[r.index];
          if (e) refused.push({ eventId: e.eventId, tenantId: e.tenantId, type: e.type, body: JSON.stringify(e), error: `warehouse refused: ${r.path}: ${r.message}` });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, chunks.length) }, lane));
    // The warehouse stored the rest of the batch; what it refused by schema (a version skew) is dead-lettered, not retried.
    await storeInvalidEvents(env.DB, refused);
    await settleJournal(env.DB, journalIds(valid.map((v) => v.msg)));
    for (const { msg } of valid) msg.ack();
  } catch (e) {
    console.warn(JSON.stringify({ at: "queue", problem: "warehouse_unavailable", messages: valid.length, detail: String(e) }));
    const { baseS, capS } = eventRetrySettings(env);
    let longest = 0;
    for (const { msg } of valid) {
      const delaySeconds = retryDelaySeconds(msg.attempts, baseS, capS);
      longest = Math.max(longest, delaySeconds);
      msg.retry({ delaySeconds });
    }
    // Still in the Queue: the cron does not send them again while the Queue retries them.
    await holdJournal(env, journalIds(valid.map((v) => v.msg)), longest);
  }
}

export async function deliverToWarehouse(env: Pick<Env, "WAREHOUSE_URL" | "WAREHOUSE_INGEST_SECRET">, events: EventEnvelope[]) {
  const body = gzip(JSON.stringify({ events }));
  const res = await fetch(new URL("/v1/ingest", env.WAREHOUSE_URL), {
    method: "POST",
    // Signed over the gzip as sent: the warehouse checks it before inflating (and HMACs ~50 KB, not ~1.4 MB).
    headers: { "content-type": "application/json", "content-encoding": "gzip", "x-kaquan-signature": await signBody(env.WAREHOUSE_INGEST_SECRET, body) },
    body,
    // Generous: under a backlog the warehouse queues ingests (merging them), and a delivery given up too early is
    // retried with back-off while the first still lands — slower, never lost (repeats are dropped by event_id).
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status === 400) {
    // Every envelope refused by schema: answered per index, so the caller dead-letters them instead of retrying.
    const body = (await res.json().catch(() => null)) as { rejected?: IngestRejection[] } | null;
    if (body?.rejected?.length) return { received: events.length, inserted: 0, duplicates: 0, rejected: body.rejected };
    throw new Error(`warehouse answered 400: ${JSON.stringify(body).slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`warehouse answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as IngestResult;
}

/**
 * A batch's JSON gzipped (about a tenth of the bytes). workerd writes a request body between the isolate's other
 * work: while imports kept its thread busy, the 1.5 MB of a 5,000-event chunk took 0.4–1.4 s to reach the warehouse
 * (0.1–0.2 s gzipped; bench/README.md, session 49). Over a real network it is less to send as well. Level 1 in one
 * call: CompressionStream (level 6, through a stream) was ~11 % of the worker's CPU while streaming events, and on
 * this JSON level 1 is a third of level 6's CPU for 4 % more bytes (session 51).
 */
function gzip(text: string): Uint8Array {
  return gzipSync(text, { level: 1 });
}
