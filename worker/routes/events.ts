import { createRoute, z } from "@hono/zod-openapi";
import { requireKey, requirePlatformAdmin } from "../middleware/auth";
import { pendingDeadLetters, replayDeadLetters } from "../services/dead-letters";
import { bearerAuth, createRouter, errors, json } from "./router";

const tags = ["events"];
const ReplayResult = z.object({ replayed: z.number(), remaining: z.number() }).openapi("ReplayResult");
const DeadLetters = z.object({ pending: z.number() }).openapi("DeadLetters");

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
  responses: { 200: json(ReplayResult, "Replayed"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const replayAll = createRoute({
  method: "post",
  path: "/platform/events/dead-letters/replay",
  tags: ["platform"],
  summary: "Replay every tenant's dead-lettered events. Platform operator only.",
  security: bearerAuth,
  middleware: [requirePlatformAdmin],
  responses: { 200: json(ReplayResult, "Replayed"), 401: errors[401], 429: errors[429] },
});

export const eventRoutes = createRouter()
  .openapi(status, async (c) => c.json(await pendingDeadLetters(c.env, c.var.principal.tenantId), 200))
  .openapi(replayOwn, async (c) => c.json(await replayDeadLetters(c.env, c.var.principal.tenantId), 200))
  .openapi(replayAll, async (c) => c.json(await replayDeadLetters(c.env, null), 200));
