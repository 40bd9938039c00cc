import type { EventEnvelope, EventType } from "../../schema/events";
import { newId } from "../domain/crypto";

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

/** Sends events to the Queue. Queue sends are durable once they resolve; the consumer delivers to the warehouse. */
export async function emitEvents(env: Pick<Env, "EVENTS">, inputs: EventInput[]): Promise<EventEnvelope[]> {
  const events = inputs.map(buildEvent);
  for (let i = 0; i < events.length; i += 100) {
    await env.EVENTS.sendBatch(events.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
  }
  return events;
}

const BUNDLE_BYTES = 96_000; // under the 128 KB per-message limit of Queues

/**
 * Bulk producers (tracking, imports): many envelopes per queue message, so one consumer batch of 100 messages
 * delivers thousands of events in one warehouse insert. Same envelopes, same idempotency; the consumer accepts both.
 */
export async function emitEventBundles(env: Pick<Env, "EVENTS">, inputs: EventInput[]): Promise<EventEnvelope[]> {
  const events = inputs.map(buildEvent);
  let bundle: EventEnvelope[] = [];
  let bytes = 0;
  const flush = async () => {
    if (bundle.length) await env.EVENTS.send(bundle, { contentType: "json" });
    bundle = [];
    bytes = 0;
  };
  for (const e of events) {
    const size = JSON.stringify(e).length + 1;
    if (bundle.length && (bytes + size > BUNDLE_BYTES || bundle.length >= 1000)) await flush();
    bundle.push(e);
    bytes += size;
  }
  await flush();
  return events;
}

export async function emitEvent(env: Pick<Env, "EVENTS">, input: EventInput): Promise<EventEnvelope> {
  const [event] = await emitEvents(env, [input]);
  return event!;
}
