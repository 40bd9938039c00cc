import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/free-port";
import { signatureOf, stackRecordFile, writeStackRecord } from "../../scripts/lib/stack-record";

// A kill -9 of `npm start` alone leaves its services (each in its own process group) running: they held the ports and
// the state, and the next `npm start` refused to run ("port taken") until someone found them. Now the record the
// killed start left beside the state lets the next one end them; and a second start on a state in use is refused.
const state = mkdtempSync(join(tmpdir(), "kaquan-record-"));
const strays: ChildProcess[] = [];
afterAll(() => {
  for (const s of strays) try { process.kill(-s.pid!, "SIGKILL"); } catch {}
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A process of its own group, like a service npm start left behind; `listen` holds that port as the worker would. */
function stray(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  strays.push(child);
  return new Promise((resolve) => child.stdout!.once("data", () => resolve(child)));
}

/** npm start on the state, stopped (SIGINT) as soon as `until` shows in its output or it exits on its own. */
function start(env: Record<string, string>, until: RegExp): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      env: { ...process.env, KAQUAN_STATE_DIR: state, KAQUAN_SKIP_BUILD: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const seen = (d: Buffer) => {
      out += d;
      if (until.test(out)) child.kill("SIGINT");
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    // Beside the other CI lanes (load ~10 on two cores) tsx alone took over 15 s to print the first line.
    const timer = setTimeout(() => child.kill("SIGINT"), 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const ports = async () => ({
  KAQUAN_WAREHOUSE_PORT: String(await freePort()), KAQUAN_SUPPLIER_PORT: String(await freePort()),
  KAQUAN_ALIPAY_PORT: String(await freePort()), KAQUAN_WECHATPAY_PORT: String(await freePort()),
});

describe("npm start after one that was killed", () => {
  it("ends the services a killed npm start left holding the port, instead of refusing to run", async () => {
    const port = await freePort();
    const args = ["-e", `require("net").createServer((s) => s.end()).listen(${port}, "127.0.0.1", () => console.log("up"))`, "kaquan-left-behind"];
    const worker = await stray(args);
    // What the killed start wrote: its own pid (gone) and the worker's group.
    writeStackRecord(stackRecordFile(state), { pid: 2 ** 22 + 1, services: [{ name: "worker", pgid: worker.pid!, signature: signatureOf(args) }] });
    const r = await start({ KAQUAN_PORT: String(port), ...(await ports()) }, /ended what a killed npm start left|cannot run/);
    expect(r.out).not.toContain("cannot run");
    expect(r.out).toContain(`ended what a killed npm start left running on this state: worker (group ${worker.pid})`);
    expect(alive(worker.pid!)).toBe(false);
  }, 90_000);

  it("refuses to run beside an npm start still running on the same state", async () => {
    const other = await stray(["-e", `console.log("up"); setInterval(() => {}, 1000)`, "scripts/start.ts"]);
    writeStackRecord(stackRecordFile(state), { pid: other.pid!, services: [] });
    const r = await start({ KAQUAN_PORT: String(await freePort()), ...(await ports()) }, /applying D1 migrations/);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`another npm start (pid ${other.pid}) runs on the state`);
    expect(r.out).not.toContain("applying D1 migrations");
    expect(alive(other.pid!)).toBe(true);
  }, 90_000);
});
