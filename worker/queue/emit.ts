import type { EventEnvelope, EventType } from "../../schema/events";
import { retryDelaySeconds } from "../domain/backoff";
import { newId } from "../domain/crypto";
import { deferParkedEvents, deleteParkedEvents, dueParkedEvents, parkEvents } from "../db/event-outbox";

type EmitEnv = Pick<Env, "EVENTS" | "DB">;

export interface EventInput {
  tenantId: string;
  type: EventType;
  actor?: Partial<EventEnvelope["actor"]>;
  payload?: EventEnvelope["payload"];
  eventId?: string;
  occurredAt?: Date;
}

export function buildEvent(input: EventInput): EventEnvelope {
  return {
    v: 1,
    eventId: input.eventId ?? newId("ev"),
    tenantId: input.tenantId,
    type: input.type,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    actor: {
      userId: input.actor?.userId ?? null,
      deviceId: input.actor?.deviceId ?? null,
      apiKeyId: input.actor?.apiKeyId ?? null,
      referrerId: input.actor?.referrerId ?? null,
    },
    payload: input.payload ?? {},
  };
}

/**
 * Sends events to the Queue. Queue sends are durable once they resolve; the consumer delivers to the warehouse.
 * When the Queue refuses (an outage), the events are parked in D1 (`event_outbox`) instead of being lost — the state
 * change they describe is already committed — and re-sent by the cron job or after this isolate's next good send.
 */
export async function emitEvents(env: EmitEnv, inputs: EventInput[]): Promise<EventEnvelope[]> {
  const events = inputs.map(buildEvent);
  await sendOrPark(env, events, async (chunk) => {
    for (let i = 0; i < chunk.length; i += 100) {
      await env.EVENTS.sendBatch(chunk.slice(i, i + 100).map((body) => ({ body, contentType: MESSAGE_FORMAT })));
    }
  });
  return events;
}

/**
 * Structured clone, the Queues default: the consumer is a Worker, so nothing needs JSON on the wire. With "json" the
 * local broker (Miniflare) parsed every message, re-serialised it to measure it and cloned it again to the consumer —
 * most of workerd's CPU per streamed event (CPU profile of bench:analytics); with "v8" it passes the bytes through.
 */
const MESSAGE_FORMAT = "v8" as const;

const BUNDLE_BYTES = 96_000; // under the 128 KB per-message limit of Queues

/** Envelopes grouped into Queue messages of at most ~96 KB / 1,000 events each. */
function bundles(events: EventEnvelope[]): EventEnvelope[][] {
  const out: EventEnvelope[][] = [];
  let bundle: EventEnvelope[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = JSON.stringify(e).length + 1;
    if (bundle.length && (bytes + size > BUNDLE_BYTES || bundle.length >= 1000)) {
      out.push(bundle);
      bundle = [];
      bytes = 0;
    }
    bundle.push(e);
    bytes += size;
  }
  if (bundle.length) out.push(bundle);
  return out;
}

async function sendBundles(env: Pick<Env, "EVENTS">, events: EventEnvelope[]) {
  for (const bundle of bundles(events)) await env.EVENTS.send(bundle, { contentType: MESSAGE_FORMAT });
}

/**
 * Bulk producers (tracking, imports): many envelopes per queue message, so one consumer batch of 100 messages
 * delivers thousands of events in one warehouse insert. Same envelopes, same idempotency; the consumer accepts both.
 */
export async function emitEventBundles(env: EmitEnv, inputs: EventInput[]): Promise<EventEnvelope[]> {
  const events = inputs.map(buildEvent);
  await sendOrPark(env, events, (chunk) => sendBundles(env, chunk));
  return events;
}

export async function emitEvent(env: EmitEnv, input: EventInput): Promise<EventEnvelope> {
  const [event] = await emitEvents(env, [input]);
  return event!;
}

/** Set when this isolate parked events: its next good send also drains the outbox. */
let parkedHere = false;

async function sendOrPark(env: EmitEnv, events: EventEnvelope[], send: (events: EventEnvelope[]) => Promise<void>) {
  if (!events.length) return;
  try {
    await send(events);
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    // Parking may repeat events a partial send already delivered; the warehouse drops repeats by event_id.
    await parkEvents(env.DB, events, error);
    parkedHere = true;
    console.error(JSON.stringify({ at: "emit", parked: events.length, error }));
    return;
  }
  if (parkedHere) {
    parkedHere = false;
    await drainEventOutbox(env).catch(() => undefined);
  }
}

/**
 * Re-sends parked events that are due (oldest first, up to `limit`); those the Queue refuses again wait with
 * exponential back-off. Returns how many were sent.
 */
export async function drainEventOutbox(env: EmitEnv, limit = 1000, now = Date.now()): Promise<number> {
  const rows = await dueParkedEvents(env.DB, now, limit);
  if (!rows.length) return 0;
  try {
    await sendBundles(env, rows.map((r) => JSON.parse(r.body) as EventEnvelope));
  } catch (e) {
    await deferParkedEvents(env.DB, rows, (attempts) => now + retryDelaySeconds(attempts) * 1000, e instanceof Error ? e.message : String(e));
    return 0;
  }
  await deleteParkedEvents(env.DB, rows.map((r) => r.event_id));
  return rows.length;
}
