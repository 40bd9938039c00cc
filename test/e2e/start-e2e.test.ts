import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../free-port";

/** Runs the real `npm start` stack (wrangler dev + workerd + chdb warehouse) on spare ports, twice. */
const PORT = await freePort();
const WH_PORT = await freePort();
const state = mkdtempSync(join(tmpdir(), "kaquan-e2e-"));
const base = `http://127.0.0.1:${PORT}`;
let current: ChildProcess | null = null;

function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn("node_modules/.bin/tsx", ["scripts/start.ts"], {
    env: { ...process.env, KAQUAN_PORT: String(PORT), KAQUAN_WAREHOUSE_PORT: String(WH_PORT), KAQUAN_STATE_DIR: state },
    stdio: ["ignore", "pipe", "pipe"],
  });
  current = child;
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start timed out:\n${out}`)), 150_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("kaquan is running.")) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited ${code}:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", (code) => resolve(code));
    child.kill("SIGINT");
  });
}

async function getJson(url: string, token?: string): Promise<any> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return res.json();
}

afterAll(async () => {
  if (current && current.exitCode === null) await stop(current);
  rmSync(state, { recursive: true, force: true });
});

describe("npm start", () => {
  it("brings up the whole stack with demo data, stops cleanly, and keeps data across a restart", async () => {
    const first = await start();
    expect(first.output()).toMatch(/admin\s+kq_/);
    const health = await getJson(`${base}/api/v1/health`);
    expect(health).toMatchObject({ ok: true, d1: { ok: true }, durableObjects: { ok: true }, warehouse: { ok: true } });
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    const adminKey = /admin\s+(kq_\S+)/.exec(first.output())![1]!;
    const tenant = await getJson(`${base}/api/v1/tenant`, adminKey);
    expect(tenant.name).toBe("Demo Brand");

    // Events from the seed reach the warehouse through the queue.
    let events = 0;
    for (let i = 0; i < 40 && events < 5; i++) {
      events = (await getJson(`http://127.0.0.1:${WH_PORT}/health`)).events;
      if (events < 5) await new Promise((r) => setTimeout(r, 250));
    }
    expect(events).toBeGreaterThanOrEqual(5);

    expect(await stop(first.child)).toBe(0);
    const second = await start();
    // Same tenant, same keys: the seed is idempotent and data survived.
    expect(/admin\s+(kq_\S+)/.exec(second.output())![1]).toBe(adminKey);
    const again = await getJson(`${base}/api/v1/tenant`, adminKey);
    expect(again.id).toBe(tenant.id);
    const list = await getJson(`${base}/api/v1/keys`, adminKey);
    expect(list.keys).toHaveLength(4);
    expect((await getJson(`http://127.0.0.1:${WH_PORT}/health`)).events).toBeGreaterThanOrEqual(events);
    expect(await stop(second.child)).toBe(0);
  }, 300_000);
});
