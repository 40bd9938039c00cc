import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/free-port";
import { getJson, startStack, type Stack } from "../../scripts/lib/stack";

const state = mkdtempSync(join(tmpdir(), "kaquan-e2e-"));
let current: Stack | null = null;

afterAll(async () => {
  await current?.stop();
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe("npm start", () => {
  it("brings up the whole stack with demo data, stops cleanly, and keeps data across a restart", async () => {
    const ports = { port: await freePort(), warehousePort: await freePort() };
    const first = (current = await startStack(state, ports));
    const base = first.baseUrl;
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
      events = (await getJson(`${first.warehouseUrl}/health`)).events;
      if (events < 5) await new Promise((r) => setTimeout(r, 250));
    }
    expect(events).toBeGreaterThanOrEqual(5);

    expect(await first.stop()).toBe(0);
    // npm start applies the D1 migrations itself (one Miniflare, not wrangler's one per file); wrangler agrees.
    const listed = spawnSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "d1", "migrations", "list", "DB", "--local", "--persist-to", join(state, ".wrangler/state")], {
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });
    expect(listed.stdout + listed.stderr).toContain("No migrations to apply");
    const second = (current = await startStack(state, ports, { KAQUAN_WORKER_SILENT_MS: "15000" }));
    // Same tenant, same keys: the seed is idempotent and data survived.
    expect(/admin\s+(kq_\S+)/.exec(second.output())![1]).toBe(adminKey);
    const again = await getJson(`${base}/api/v1/tenant`, adminKey);
    expect(again.id).toBe(tenant.id);
    const list = await getJson(`${base}/api/v1/keys`, adminKey);
    expect(list.keys.length).toBeGreaterThanOrEqual(4);
    expect((await getJson(`${second.warehouseUrl}/health`)).events).toBeGreaterThanOrEqual(events);

    // The warehouse dies (SIGKILL): the storefront and API keep serving, and npm start brings the warehouse back.
    const listening = spawnSync("ss", ["-ltnpH", `sport = :${ports.warehousePort}`], { encoding: "utf8" }).stdout;
    const pid = Number(/pid=(\d+)/.exec(listening)?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    await expect.poll(() => second.output(), { timeout: 10_000 }).toMatch(/warehouse exited \(SIGKILL\); starting it again/);
    expect((await fetch(`${base}/api/v1/tenant`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
    await expect.poll(() => fetch(`${second.warehouseUrl}/health`).then((r) => r.ok, () => false), { timeout: 60_000, interval: 500 }).toBe(true);
    expect((await getJson(`${second.warehouseUrl}/health`)).events).toBeGreaterThanOrEqual(events);

    // The worker's wrangler dies (SIGKILL of its leader; workerd under it would keep the port): npm start ends the
    // group and starts the worker again on the same port and state.
    const serving = spawnSync("ss", ["-ltnpH", `sport = :${ports.port}`], { encoding: "utf8" }).stdout;
    const workerd = Number(/pid=(\d+)/.exec(serving)?.[1]);
    const leader = Number(spawnSync("ps", ["-o", "pgid=", "-p", String(workerd)], { encoding: "utf8" }).stdout.trim());
    expect(leader).toBeGreaterThan(0);
    process.kill(leader, "SIGKILL");
    await expect.poll(() => second.output(), { timeout: 10_000 }).toMatch(/worker exited \(SIGKILL\); starting it again/);
    await expect.poll(() => second.output(), { timeout: 120_000, interval: 500 }).toMatch(/the worker answers again/);
    expect((await getJson(`${base}/api/v1/tenant`, adminKey)).id).toBe(tenant.id);
    expect((await getJson(`${base}/api/v1/health`)).ok).toBe(true);

    // The worker hangs (its workerd stopped, the port still held, nothing answered): after KAQUAN_WORKER_SILENT_MS of
    // silence npm start ends it and starts it again.
    const hung = Number(/pid=(\d+)/.exec(spawnSync("ss", ["-ltnpH", `sport = :${ports.port}`], { encoding: "utf8" }).stdout)?.[1]);
    expect(hung).toBeGreaterThan(0);
    process.kill(hung, "SIGSTOP");
    await expect.poll(() => second.output(), { timeout: 60_000, interval: 500 }).toMatch(/worker has answered nothing for \d+ s/);
    await expect.poll(() => second.output().match(/the worker answers again/g)?.length ?? 0, { timeout: 120_000, interval: 500 }).toBe(2);
    expect((await getJson(`${base}/api/v1/tenant`, adminKey)).id).toBe(tenant.id);
    expect(await second.stop()).toBe(0);
  }, 400_000);
});
