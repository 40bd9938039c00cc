import { z } from "@hono/zod-openapi";

export const ComponentStatus = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  detail: z.string().optional(),
});

const Backlog = z.object({
  pending: z.number(),
  /** When the oldest entry was parked / dead-lettered (ISO), null when empty. */
  oldestAt: z.string().nullable(),
  oldestAgeSeconds: z.number().nullable(),
});

/** Events on their way to the warehouse; each part drains by itself (cron re-sends and re-drives with back-off). */
export const EventBacklog = z
  .object({
    outbox: Backlog,
    /** Sent, not yet confirmed stored by the warehouse (one journal row per Queue message; pending counts events). */
    inFlight: Backlog.extend({ messages: z.number() }),
    deadLetters: Backlog,
    queue: z.object({ backlog: z.number(), oldestAgeSeconds: z.number().nullable() }).nullable(),
  })
  .openapi("EventBacklog");

export const Health = z
  .object({
    ok: z.boolean(),
    worker: ComponentStatus,
    d1: ComponentStatus,
    durableObjects: ComponentStatus,
    warehouse: ComponentStatus,
    /** Null when D1 could not be read. */
    events: EventBacklog.nullable(),
  })
  .openapi("Health");
