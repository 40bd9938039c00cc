import type { ClickHouseClient } from "@clickhouse/client";
import { Hono } from "hono";
import { IngestBatch } from "../schema/events";
import { verifyBody } from "../worker/domain/signature";
import { ingestEvents, Mutex } from "./ingest";

export interface WarehouseAppOptions {
  client: ClickHouseClient;
  ingestSecret: string;
  embedded: boolean;
}

function error(code: string, message: string, issues?: unknown) {
  return { error: { code, message, requestId: crypto.randomUUID(), ...(issues ? { issues } : {}) } };
}

/** The warehouse service: authenticated ingest from the worker's queue consumer, health, and metric queries. */
export function createWarehouseApp({ client, ingestSecret, embedded }: WarehouseAppOptions) {
  const app = new Hono();
  const ingestLock = new Mutex();

  app.get("/health", async (c) => {
    const started = performance.now();
    try {
      const rs = await client.query({ query: "SELECT count() AS events FROM events", format: "JSONEachRow" });
      const events = (await rs.json<{ events: number }>())[0]?.events ?? 0;
      return c.json({ ok: true, engine: embedded ? "chdb" : "clickhouse", events, latencyMs: Math.round(performance.now() - started) });
    } catch (e) {
      return c.json({ ok: false, engine: embedded ? "chdb" : "clickhouse", detail: String(e) }, 503);
    }
  });

  app.post("/v1/ingest", async (c) => {
    const raw = await c.req.text();
    const check = await verifyBody(ingestSecret, raw, c.req.header("x-kaquan-signature"));
    if (!check.ok) return c.json(error("bad_signature", `Signature ${check.reason}`), 401);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return c.json(error("invalid_json", "Body is not JSON"), 400);
    }
    const parsed = IngestBatch.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code }));
      return c.json(error("validation_failed", "Invalid event batch", issues), 400);
    }
    const result = await ingestLock.run(() => ingestEvents(client, parsed.data.events));
    return c.json(result);
  });

  app.notFound((c) => c.json(error("not_found", "Route not found"), 404));
  app.onError((err, c) => {
    console.error("warehouse error", err);
    return c.json(error("internal", "Internal error"), 500);
  });
  return app;
}
