import { createRoute, z } from "@hono/zod-openapi";
import { requireKey, requirePlatformAdmin } from "../middleware/auth";
import { pendingDeadLetters, replayDeadLetters } from "../services/dead-letters";
import { resendInFlight } from "../services/event-backlog";
import { bearerAuth, createRouter, errors, json } from "./router";

const tags = ["events"];
const DeadLetterReplay = z
  .object({
    replayed: z.number().openapi({ description: "Sent back through their queues" }),
    invalid: z.number().openapi({ description: "Still failing their event contract: not sent, kept pending with the failing field path" }),
    remaining: z.number().openapi({ description: "Still pending after this replay (the invalid ones included)" }),
  })
  .openapi("DeadLetterReplay");
const DeadLetters = z
  .object({
    pending: z.number().openapi({ description: "Dead-lettered events not yet replayed" }),
    invalid: z.number().openapi({ description: "Of those, how many fail their event contract (a replay does not send them)" }),
    latestInvalid: z
      .array(z.object({ eventId: z.string(), type: z.string(), deadAt: z.string(), error: z.string().openapi({ description: "The field path that failed, and why" }) }))
      .openapi({ description: "The latest 20 of them" }),
  })
  .openapi("DeadLetters");
const ResendResult = z
  .object({ resent: z.number().openapi({ description: "Messages sent again" }), remaining: z.number().openapi({ description: "Messages still unconfirmed (in flight)" }) })
  .openapi("ResendResult");

const status = createRoute({
  method: "get",
  path: "/events/dead-letters",
  tags,
  summary: "How many of this tenant's events wait in the dead-letter store",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  responses: { 200: json(DeadLetters, "Count"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const replayOwn = createRoute({
  method: "post",
  path: "/events/dead-letters/replay",
  tags,
  summary: "Send this tenant's dead-lettered events back through the queue (the warehouse skips duplicates)",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  responses: { 200: json(DeadLetterReplay, "Replayed"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const replayAll = createRoute({
  method: "post",
  path: "/platform/events/dead-letters/replay",
  tags: ["platform"],
  summary: "Replay every tenant's dead-lettered events. Platform operator only.",
  security: bearerAuth,
  middleware: [requirePlatformAdmin],
  responses: { 200: json(DeadLetterReplay, "Replayed"), 401: errors[401], 429: errors[429] },
});

const resendAll = createRoute({
  method: "post",
  path: "/platform/events/in-flight/resend",
  tags: ["platform"],
  summary:
    "Send again, now, every event message sent but not yet confirmed stored by the warehouse (the journal; the cron " +
    "does it a minute after a send anyway). Platform operator only; `npm start` calls it as it starts.",
  security: bearerAuth,
  middleware: [requirePlatformAdmin],
  responses: { 200: json(ResendResult, "Resent"), 401: errors[401], 429: errors[429] },
});

export const eventRoutes = createRouter()
  .openapi(status, async (c) => c.json(await pendingDeadLetters(c.env, c.var.principal.tenantId), 200))
  .openapi(replayOwn, async (c) => c.json(await replayDeadLetters(c.env, c.var.principal.tenantId), 200))
  .openapi(replayAll, async (c) => c.json(await replayDeadLetters(c.env, null), 200))
  .openapi(resendAll, async (c) => c.json(await resendInFlight(c.env), 200));
