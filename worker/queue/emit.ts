import type { EventEnvelope, EventPayload, EventType, Scalar } from "../../schema/events";
import { newId, sha256Hex } from "../domain/crypto";
import { eventStatements, recordEvents, type ComputedField } from "../db/event-outbox";
import type { SqlGuard } from "../db/statements";
import { dispatchEvents, type DispatchEnv } from "./dispatch";
import { noteRecorded } from "./request-events";
import { sendJournaled } from "./journal";

type EmitEnv = DispatchEnv;

/** One event to record: its payload is checked at compile time against its type's schema (schema/events.ts). */
export type EventInput = {
  [K in EventType]: {
    tenantId: string;
    type: K;
    actor?: Partial<EventEnvelope["actor"]>;
    payload?: EventPayload<K>;
    /** Derive it from the change where a call can repeat (INSERT OR IGNORE records it once). */
    eventId?: string;
    occurredAt?: Date;
  };
}[EventType];

export function buildEvent(input: EventInput): EventEnvelope {
  const payload: Record<string, Scalar> = {};
  const given = (input.payload ?? {}) as Record<string, Scalar | undefined>;
  for (const k of Object.keys(given)) if (given[k] !== undefined) payload[k] = given[k];
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
    payload,
  };
}

/**
 * The outbox statements for these events: add them to the db.batch of the change they describe (with a guard when
 * the change is conditional), and the request's dispatcher forwards them once the batch committed.
 */
export function eventRows(env: Pick<Env, "DB">, inputs: EventInput[], guard?: SqlGuard, computed?: ComputedField[]): D1PreparedStatement[] {
  if (inputs.length) noteRecorded();
  return eventStatements(env.DB, inputs.map(buildEvent), guard, computed);
}

/** Dispatch soon: after the response inside a request (waitUntil), at once elsewhere. Never throws. */
export async function scheduleDispatch(env: EmitEnv): Promise<void> {
  if (noteRecorded()) return;
  await dispatchEvents(env).catch((e) => console.error(JSON.stringify({ at: "dispatch", error: e instanceof Error ? e.message : String(e) })));
}

/** After work that outlived its request (waitUntil): what it recorded goes now, not with the next minute's cron. */
export async function dispatchAfterDeferred(env: EmitEnv): Promise<void> {
  await dispatchEvents(env).catch((e) => console.error(JSON.stringify({ at: "dispatch", error: e instanceof Error ? e.message : String(e) })));
}

/**
 * Records events in the outbox on their own and dispatches them (see scheduleDispatch). For facts with no D1 change
 * of their own (alerts, refusals, views); a state change puts eventRows in its own batch instead.
 */
export async function emitEvents(env: EmitEnv, inputs: EventInput[]): Promise<EventEnvelope[]> {
  const events = inputs.map(buildEvent);
  if (!events.length) return events;
  await recordEvents(env.DB, events);
  await scheduleDispatch(env);
  return events;
}

export async function emitEvent(env: EmitEnv, input: EventInput): Promise<EventEnvelope> {
  const [event] = await emitEvents(env, [input]);
  return event!;
}

/**
 * Straight to the Queue, no outbox: bulk producers (tracking, imports; many envelopes per message) and Durable
 * Objects, whose own storage is their outbox (the campaign shard records claim events in the claim's transaction and
 * keeps the rows until this resolves). Resolves once the events are journaled — a refused send is the cron's to
 * repeat — and throws when they could not be (nothing accepted; the shard tries again, the warehouse drops repeats).
 */
export async function emitEventBundles(env: Pick<Env, "DB" | "EVENTS">, inputs: EventInput[]): Promise<EventEnvelope[]> {
  const events = inputs.map(buildEvent);
  await sendJournaled(env, events);
  return events;
}

/**
 * Records an event once per key: its id is derived from the key, so a repeat (a flood of refused posts to a public URL)
 * is the one event. A failure is logged, not thrown: the request it records is refused either way.
 */
export async function recordOnce(env: EmitEnv, prefix: string, key: (string | number)[], input: EventInput): Promise<void> {
  const eventId = `${prefix}_${(await sha256Hex(key.join("|"))).slice(0, 40)}`;
  await emitEvent(env, { ...input, eventId }).catch((e: unknown) => {
    console.error(JSON.stringify({ at: "record_once", type: input.type, tenantId: input.tenantId, error: e instanceof Error ? e.message : String(e) }));
  });
}
