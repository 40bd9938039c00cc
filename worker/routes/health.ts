import { createRoute } from "@hono/zod-openapi";
import { Health } from "../../schema/health";
import { pingDb } from "../services/tenants";
import { eventBacklog } from "../services/event-backlog";
import { createRouter, json } from "./router";

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["platform"],
  summary: "Status of the worker, D1, Durable Objects and the warehouse, and the events waiting to reach the warehouse",
  responses: { 200: json(Health, "Everything is up"), 503: json(Health, "A component is down") },
});

async function probe(fn: () => Promise<unknown>, timeoutMs = 2000) {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The loser of the race must not reject later with nobody listening: the timer is cleared, the probe's own
  // promise is caught (a probe that answers after the timeout is ignored).
  const work = fn();
  work.catch(() => undefined);
  try {
    await Promise.race([work, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), timeoutMs)))]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), detail: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes = createRouter().openapi(route, async (c) => {
  const [d1, durableObjects, warehouse, events] = await Promise.all([
    probe(() => pingDb(c.env)),
    probe(() => c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName("health")).ping()),
    probe(async () => {
      const res = await fetch(new URL("/health", c.env.WAREHOUSE_URL), { signal: AbortSignal.timeout(1500) });
      if (!res.ok) throw new Error(`warehouse answered ${res.status}`);
    }),
    eventBacklog(c.env).catch(() => null),
  ]);
  const body = { ok: d1.ok && durableObjects.ok && warehouse.ok, worker: { ok: true, latencyMs: 0 }, d1, durableObjects, warehouse, events };
  return c.json(body, body.ok ? 200 : 503);
});
