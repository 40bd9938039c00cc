import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoKeys, startStack } from "../../scripts/lib/stack";

const BATCH = 1000; // events per /events/import request (the route's maximum)
const CONCURRENCY = 4;
// The local queue broker (Miniflare) keeps messages in memory; a backlog of tens of thousands was seen to be lost
// (a 50k burst of one-event messages delivered 7.2k); imports are bundled (~300 events per message), and the sender
// keeps at most this many events in flight (~270 messages): a sustained rate, not a burst into memory. 80k rather
// than 40k keeps more than one consumer batch (100 messages) queued, so the broker flushes the next batch at once
// instead of waiting for max_batch_timeout (measured 19.7k/17.3k vs 15.9k/17.1k events/s; nothing lost).
const MAX_IN_FLIGHT = 80_000;

/**
 * Streaming throughput through the real path: a fresh `npm start` stack on free ports, the demo tenant's admin key
 * posting events to /api/v1/events/import (→ Queue → consumer → signed /v1/ingest → ClickHouse), timed from the
 * first request until the warehouse's count reaches the total.
 */
export async function streamThroughput(total: number) {
  const stateDir = mkdtempSync(join(tmpdir(), "kaquan-bench-stream-"));
  const stack = await startStack(stateDir);
  try {
    const admin = demoKeys(stateDir).keys.admin!;
    const base = async () => ((await (await fetch(`${stack.warehouseUrl}/health`)).json()) as { events: number }).events;
    const before = await base();
    const now = Date.now();
    // The request bodies are built before the clock starts: the load generator shares this machine's two cores with
    // the system under test, and building and serialising 1,000 events per request cost it ~1–1.5 s of CPU per 200k.
    const bodies: string[] = [];
    for (let from = 0; from < total; from += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, total - from) }, (_, i) => ({
        eventId: `bench-${now}-${from + i}`,
        type: "page_view",
        occurredAt: new Date(now - (from + i) * 10).toISOString(),
        actor: { userId: `u${(from + i) % 5000}` },
        payload: { path: "/bench" },
      }));
      bodies.push(JSON.stringify({ events }));
    }
    let next = 0;
    const started = performance.now();
    let arrived = 0;
    const worker = async () => {
      while (next < bodies.length) {
        while (next * BATCH - arrived > MAX_IN_FLIGHT) {
          await new Promise((r) => setTimeout(r, 100));
          arrived = (await base()) - before;
        }
        if (next >= bodies.length) break;
        const body = bodies[next++]!;
        const res = await fetch(`${stack.baseUrl}/api/v1/events/import`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body,
        });
        if (res.status !== 202) throw new Error(`import answered ${res.status}: ${await res.text()}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const enqueueMs = performance.now() - started;
    const deadline = Date.now() + 600_000;
    while ((await base()) - before < total) {
      if (Date.now() > deadline) throw new Error(`stream: only ${(await base()) - before} of ${total} arrived in 10 min`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = performance.now() - started;
    return { events: total, ms, eventsPerS: Math.round(total / (ms / 1000)), enqueuePerS: Math.round(total / (enqueueMs / 1000)) };
  } finally {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
