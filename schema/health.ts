import { z } from "@hono/zod-openapi";

export const ComponentStatus = z.object({
  ok: z.boolean(),
  latencyMs: z.number(),
  detail: z.string().optional(),
});

export const Health = z
  .object({
    ok: z.boolean(),
    worker: ComponentStatus,
    d1: ComponentStatus,
    durableObjects: ComponentStatus,
    warehouse: ComponentStatus,
  })
  .openapi("Health");
