import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/free-port";

// Issue 13 #13: with another process on one of its ports, `npm start` must say which one and how to move it.
const state = mkdtempSync(join(tmpdir(), "kaquan-ports-"));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

function occupy(): Promise<number> {
  return new Promise((resolve) => {
    // A stranger that answers HTTP with 401, like the process that confused the old start.
    const srv = createServer((sock) => sock.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"));
    servers.push(srv);
    srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port));
  });
}

function start(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      env: { ...process.env, KAQUAN_STATE_DIR: state, KAQUAN_SKIP_BUILD: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill("SIGINT"), 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("npm start with a busy port", () => {
  it("names the busy port and the variable to choose another, and exits non-zero without starting anything", async () => {
    const busy = await occupy();
    const r = await start({ KAQUAN_PORT: String(busy), KAQUAN_WAREHOUSE_PORT: String(await freePort()), KAQUAN_SUPPLIER_PORT: String(await freePort()), KAQUAN_ALIPAY_PORT: String(await freePort()), KAQUAN_WECHATPAY_PORT: String(await freePort()) });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.out).toContain(`port ${busy}`);
    expect(r.out).toContain("KAQUAN_PORT=");
    expect(r.out).not.toContain("unauthorized");
    expect(r.out).not.toContain("applying D1 migrations");
  });

  it("names the warehouse port when that one is taken", async () => {
    const busy = await occupy();
    const r = await start({ KAQUAN_PORT: String(await freePort()), KAQUAN_WAREHOUSE_PORT: String(busy), KAQUAN_SUPPLIER_PORT: String(await freePort()), KAQUAN_ALIPAY_PORT: String(await freePort()), KAQUAN_WECHATPAY_PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`port ${busy} (warehouse)`);
    expect(r.out).toContain("KAQUAN_WAREHOUSE_PORT=");
  });
});
