import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createWarehouseClient } from "../../analytics/client";
import { ensureDevVars } from "../../scripts/lib/dev-vars";
import { freePort } from "../../scripts/lib/free-port";
import { demoKeys, getJson, startStack, type Stack } from "../../scripts/lib/stack";

/*
 * The real stack (worker + queue consumer in workerd, cron ticker) with the real warehouse process, which this test
 * owns so it can kill it. Retry timings are shortened (back-off 1–2 s instead of 5–300 s, cron every 3 s instead of
 * every minute) so the queue's retries run out during the outage and events really go through the dead-letter path.
 */
// With the shortened back-off below, the queue's 10 retries of a message take 10–19 s: messages sent in the first
// seconds of the outage run out of retries and are dead-lettered while it lasts, so the dead-letter path really runs.
const OUTAGE_MS = 45_000;
const PRODUCE_MS = 25_000;

const state = mkdtempSync(join(tmpdir(), "kaquan-outage-"));
const dataDir = join(state, ".data/clickhouse");
let stack: Stack | null = null;
let warehouse: ChildProcess | null = null;
let warehouseLog = "";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startWarehouse(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "analytics/main.ts"], {
    env: { ...process.env, WAREHOUSE_PORT: String(port), WAREHOUSE_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, stopped whole
  });
  child.stdout!.on("data", (d: Buffer) => (warehouseLog += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (warehouseLog += d.toString()));
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`warehouse exited ${child.exitCode}:\n${warehouseLog}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return child;
    await sleep(250);
  }
  throw new Error(`warehouse did not start:\n${warehouseLog}`);
}

async function stopWarehouse(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid!, signal);
  } catch {}
  await exited;
}

afterAll(async () => {
  await stack?.stop();
  if (warehouse) await stopWarehouse(warehouse, "SIGKILL");
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}, 60_000);

describe("warehouse outage", () => {
  it("rides out a warehouse outage under traffic and catches up on its own: every event once, no dead letter left", async () => {
    ensureDevVars(); // the warehouse and the worker read the same .dev.vars
    const ports = { port: await freePort(), warehousePort: await freePort() };
    const warehouseUrl = `http://127.0.0.1:${ports.warehousePort}`;
    warehouse = await startWarehouse(ports.warehousePort);
    stack = await startStack(state, ports, {
      KAQUAN_WAREHOUSE_EXTERNAL: "1",
      // Only this test's traffic rides out the outage (not the demo's 3,100 simulated membership events).
      KAQUAN_DEMO_HISTORY: "0",
      KAQUAN_CRON_EVERY_MS: "3000",
      KAQUAN_EVENT_RETRY_BASE_SECONDS: "1",
      KAQUAN_EVENT_RETRY_CAP_SECONDS: "2",
    });
    const api = `${stack.baseUrl}/api/v1`;
    const { keys } = demoKeys(state);
    const admin = { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" };

    // The warehouse goes down hard: its process is killed and its port refuses connections.
    await stopWarehouse(warehouse, "SIGKILL");
    await expect(fetch(`${warehouseUrl}/health`)).rejects.toThrow();
    const downAt = Date.now();

    // Traffic while it is down: bulk imports (known event ids, one Queue message per call) and storefront tracking
    // (one Queue message per event; each carries a unique device id).
    const run = Date.now().toString(36);
    const importedIds: string[] = [];
    const deviceIds: string[] = [];
    let maxBacklog = 0;
    let sawWarehouseDown = false;
    for (let round = 0; Date.now() - downAt < PRODUCE_MS; round++) {
      const ids = Array.from({ length: 20 }, (_, i) => `ev_outage_${run}_${round}_${i}`);
      const imp = await fetch(`${api}/events/import`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({
          events: ids.map((eventId, i) => ({ eventId, type: "page_view", occurredAt: new Date().toISOString(), actor: { userId: `u_${i}` }, payload: { path: "/outage" } })),
        }),
      });
      expect(imp.status).toBe(202);
      importedIds.push(...ids);
      const devices = [`dv_${run}_${round}_a`, `dv_${run}_${round}_b`];
      // One call per anonymous visitor: /track takes the visitor (device id) once per call, never per event.
      for (const deviceId of devices) {
        const track = await fetch(`${api}/track`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ tenant: "demo", deviceId, events: [{ type: "page_view", path: "/outage" }] }),
        });
        expect(track.status).toBe(202);
      }
      deviceIds.push(...devices);
      const health = await getJson(`${api}/health`);
      sawWarehouseDown ||= health.warehouse?.ok === false;
      maxBacklog = Math.max(maxBacklog, health.events?.deadLetters?.pending ?? 0);
      await sleep(1000);
    }
    while (Date.now() - downAt < OUTAGE_MS) {
      const health = await getJson(`${api}/health`);
      maxBacklog = Math.max(maxBacklog, health.events?.deadLetters?.pending ?? 0);
      await sleep(2000);
    }

    // Back up on the same port and data. No replay call from here on: the system must catch up by itself.
    warehouse = await startWarehouse(ports.warehousePort);
    const expected = importedIds.length + deviceIds.length;
    let pending = -1;
    let stored = 0;
    for (let i = 0; i < 90; i++) {
      pending = (await getJson(`${api}/events/dead-letters`, keys.admin)).pending;
      stored = (await getJson(`${warehouseUrl}/health`)).events;
      if (pending === 0 && stored >= expected) break;
      await sleep(2000);
    }
    expect(pending, "dead letters left waiting for a person").toBe(0);
    const health = await getJson(`${api}/health`);
    expect(health.events).toMatchObject({ outbox: { pending: 0 }, deadLetters: { pending: 0 } });

    // Count by event id in the warehouse's own data (stack and warehouse stopped: one chdb owner at a time).
    expect(await stack.stop()).toBe(0);
    stack = null;
    await stopWarehouse(warehouse, "SIGTERM");
    warehouse = null;
    const { client } = await createWarehouseClient({ dataDir });
    try {
      const byId = await client
        .query({
          query: "SELECT event_id, count() AS n FROM events WHERE event_id IN {ids:Array(String)} GROUP BY event_id",
          query_params: { ids: importedIds },
          format: "JSONEachRow",
        })
        .then((r) => r.json<{ event_id: string; n: number }>());
      const counts = new Map(byId.map((r) => [r.event_id, Number(r.n)]));
      expect(importedIds.filter((id) => counts.get(id) !== 1), "imported events missing or stored twice").toEqual([]);
      const byDevice = await client
        .query({
          query: "SELECT device_id, count() AS n, uniqExact(event_id) AS ids FROM events WHERE device_id IN {d:Array(String)} GROUP BY device_id",
          query_params: { d: deviceIds },
          format: "JSONEachRow",
        })
        .then((r) => r.json<{ device_id: string; n: number; ids: number }>());
      const perDevice = new Map(byDevice.map((r) => [r.device_id, Number(r.n)]));
      expect(deviceIds.filter((d) => perDevice.get(d) !== 1), "tracked events missing or stored twice").toEqual([]);
    } finally {
      await client.close();
    }

    // The operator saw the backlog while it lasted.
    expect(sawWarehouseDown).toBe(true);
    expect(maxBacklog).toBeGreaterThan(0);
  }, 600_000);
});
