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

export async function emitEvent(env: Pick<Env, "EVENTS">, input: EventInput): Promise<EventEnvelope> {
  const [event] = await emitEvents(env, [input]);
  return event!;
}
