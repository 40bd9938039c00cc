import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { PORT_IN_USE, freePort } from "./free-port";

export interface Stack {
  baseUrl: string;
  warehouseUrl: string;
  stateDir: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
  /** SIGKILL the whole stack at once — start.ts, wrangler, workerd, warehouse, suppliers: a power cut, not a stop. */
  crash: () => Promise<void>;
}

/**
 * SIGKILLs `rootPid` and every process below it. start.ts runs each service in its own process group (so Ctrl-C
 * stops each whole), so the groups are collected from the process table; the caller's own group is spared.
 */
export function killTree(rootPid: number) {
  const table = execFileSync("ps", ["-eo", "pid=,ppid=,pgid="], { encoding: "utf8" })
    .trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const own = table.find(([pid]) => pid === process.pid)?.[2];
  const pids = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of table) if (pids.has(ppid) && !pids.has(pid)) (pids.add(pid), (grew = true));
  }
  const groups = new Set(table.filter(([pid]) => pids.has(pid)).map(([, , pgid]) => pgid));
  for (const g of groups) if (g > 1 && g !== own) try { process.kill(-g, "SIGKILL"); } catch {}
  for (const p of pids) try { process.kill(p, "SIGKILL"); } catch {}
}

/**
 * Starts the real `npm start` stack (site already built by `npm test`) on free ports with state in `stateDir`;
 * `env` adds start.ts options (KAQUAN_WAREHOUSE_EXTERNAL, KAQUAN_CRON_EVERY_MS, KAQUAN_EVENT_RETRY_*).
 */
export async function startStack(stateDir: string, ports?: { port: number; warehousePort: number }, env: Record<string, string> = {}): Promise<Stack> {
  // A port found free can be taken by another process before the stack binds it: start.ts then refuses to start (it
  // names the port), or a service fails to bind and the stack stops (wrangler: "Address already in use"). Pick again:
  // the ports this function chose are new each time.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(stateDir, ports, env);
    } catch (e) {
      const message = String((e as Error).message);
      if (attempt >= 3 || !(message.includes(PORT_IN_USE) || message.includes("Address already in use"))) throw e;
    }
  }
}

async function startStackOnce(stateDir: string, ports: { port: number; warehousePort: number } | undefined, env: Record<string, string>): Promise<Stack> {
  const port = ports?.port ?? (await freePort());
  const warehousePort = ports?.warehousePort ?? (await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: {
      ...process.env,
      KAQUAN_PORT: String(port),
      KAQUAN_WAREHOUSE_PORT: String(warehousePort),
      KAQUAN_SUPPLIER_PORT: String(await freePort()),
      KAQUAN_ALIPAY_PORT: String(await freePort()),
      KAQUAN_WECHATPAY_PORT: String(await freePort()),
      KAQUAN_STATE_DIR: stateDir,
      KAQUAN_SKIP_BUILD: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    // Under heavy load (CI's parallel lanes) a start can take minutes.
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`stack start timed out:\n${out}`));
    }, 300_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("kaquan is running.")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited ${code}:\n${out}`));
    });
  });
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode) return resolve(child.exitCode);
      child.removeAllListeners("exit");
      child.once("exit", (code) => resolve(code));
      child.kill("SIGINT");
    });
  const crash = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode) return resolve();
      child.removeAllListeners("exit");
      child.once("exit", () => resolve());
      killTree(child.pid!);
    });
  return {
    crash,
    baseUrl: `http://127.0.0.1:${port}`,
    warehouseUrl: `http://127.0.0.1:${warehousePort}`,
    stateDir,
    child,
    output: () => out,
    stop,
  };
}

export function demoKeys(stateDir: string): { tenantId: string; keys: Record<string, string> } {
  return JSON.parse(readFileSync(`${stateDir}/.kaquan/demo-keys.json`, "utf8"));
}

export async function getJson(url: string, token?: string): Promise<any> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return res.json();
}
