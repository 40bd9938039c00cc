import { createRoute, z } from "@hono/zod-openapi";
import { EventEnvelope } from "../../schema/events";
import { ClaimWon } from "../../schema/claim-facts";
import { sendClaimFacts } from "../queue/send";
import { countPendingDeadLetters, listPendingDeadLetters, markReplayed } from "../db/dead-letters";
import { requireKey, requirePlatformAdmin } from "../middleware/auth";
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

async function replay(env: Env, tenantId: string | null) {
  const rows = await listPendingDeadLetters(env.DB, tenantId);
  // Won-claim facts parked here go back to the claims Queue; everything else is an event.
  const bodies = rows.map((r) => JSON.parse(r.body) as unknown);
  const facts = bodies.flatMap((b) => {
    const f = ClaimWon.safeParse(b);
    return f.success ? [f.data] : [];
  });
  const events = bodies.filter((b) => !ClaimWon.safeParse(b).success).map((b) => EventEnvelope.parse(b));
  await sendClaimFacts(env, facts);
  for (let i = 0; i < events.length; i += 100) {
    await env.EVENTS.sendBatch(events.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
  }
  await markReplayed(env.DB, rows.map((r) => r.event_id));
  return { replayed: rows.length, remaining: await countPendingDeadLetters(env.DB, tenantId) };
}

export const eventRoutes = createRouter()
  .openapi(status, async (c) => c.json({ pending: await countPendingDeadLetters(c.env.DB, c.var.principal.tenantId) }, 200))
  .openapi(replayOwn, async (c) => c.json(await replay(c.env, c.var.principal.tenantId), 200))
  .openapi(replayAll, async (c) => c.json(await replay(c.env, null), 200));
