/**
 * `npm start`: the whole product on one machine, embedded defaults, demo data.
 *   site build → D1 migrations → warehouse (chdb, :8788) → worker (wrangler dev, :8787) → idempotent seed.
 * Ctrl-C stops everything; state lives in .wrangler/state and .data/, so a restart keeps it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { applyLocalD1Migrations } from "./lib/d1-local-migrate";
import { DEV_VARS_FILE, ensureDevVars, stateSecretsFile } from "./lib/dev-vars";
import { busyPorts } from "./lib/free-port";
import { waitFor } from "./lib/http";
import { seedDemo } from "./lib/seed";
import { cronThenSeed } from "./lib/start-sequence";
import { WorkerWatch } from "./lib/worker-watch";
import { previousStack, psArgs, readStackRecord, removeStackRecord, signatureOf, stackRecordFile, writeStackRecord, type StackRecord } from "./lib/stack-record";

// Ports and the state directory can be moved (the end-to-end test runs a second stack beside a dev one).
const PORT = Number(process.env.KAQUAN_PORT ?? 8787);
const WAREHOUSE_PORT = Number(process.env.KAQUAN_WAREHOUSE_PORT ?? 8788);
const SUPPLIER_PORT = Number(process.env.KAQUAN_SUPPLIER_PORT ?? 8789);
const ALIPAY_PORT = Number(process.env.KAQUAN_ALIPAY_PORT ?? 8791);
const STATE_DIR = process.env.KAQUAN_STATE_DIR ?? ".";
const WORKER = `http://127.0.0.1:${PORT}`;
const WAREHOUSE = `http://127.0.0.1:${WAREHOUSE_PORT}`;
const SUPPLIERS = `http://127.0.0.1:${SUPPLIER_PORT}`;
const ALIPAY = `http://127.0.0.1:${ALIPAY_PORT}`;
const WECHATPAY_PORT = Number(process.env.KAQUAN_WECHATPAY_PORT ?? 8790);
const WECHATPAY = `http://127.0.0.1:${WECHATPAY_PORT}`;
const persist = ["--persist-to", `${STATE_DIR}/.wrangler/state`];
// A warehouse run by someone else on WAREHOUSE_PORT (the outage test stops and restarts it); start waits for it.
const EXTERNAL_WAREHOUSE = process.env.KAQUAN_WAREHOUSE_EXTERNAL === "1";
// How often the local ticker fires the cron (Cloudflare: every minute); tests shorten it.
const CRON_EVERY_MS = Number(process.env.KAQUAN_CRON_EVERY_MS ?? 60_000);
// Worker vars a run may override from the environment as KAQUAN_<NAME> (tests shorten the retry back-off).
const VAR_OVERRIDES = ["EVENT_RETRY_BASE_SECONDS", "EVENT_RETRY_CAP_SECONDS"].flatMap((name) => {
  const value = process.env[`KAQUAN_${name}`];
  return value ? ["--var", `${name}:${value}`] : [];
});
const bin = (name: string) => `node_modules/.bin/${name}`;
// TypeScript services run as `node --import tsx`, one process each: the tsx CLI wrapper relays a stop signal and, if its
// child does not acknowledge within 30 ms (a loaded machine), SIGKILLs it and exits 130.
const children: ChildProcess[] = [];

function step(title: string, cmd: string, args: string[], env: Record<string, string> = {}) {
  process.stdout.write(`• ${title}… `);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.log("failed");
    process.stderr.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  console.log(`done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

// Once the stack is up, a service that dies is started again (the warehouse: the worker keeps the events meanwhile, as
// it would through a cluster's outage; the worker: wrangler itself gives up after a few quick deaths of workerd, and
// D1 and the objects are on disk). Before the stack is up, a death stops everything.
let ready = false;
const RESTARTABLE = new Set(["warehouse", "suppliers", "alipay", "wechatpay", "worker"]);
const restarts = new Map<string, number[]>();
/** What a restarted service needs once it answers again (the worker: the events its lost local Queue held). */
const afterRestart = new Map<string, () => Promise<void>>();

/** Each service's running process (the latest, after restarts). */
const running = new Map<string, ChildProcess>();

// Each service's process group, kept beside the state: a start after this one was killed ends what it left (stack-record.ts).
const RECORD_FILE = stackRecordFile(STATE_DIR);
const record: StackRecord = { pid: process.pid, services: [] };

function launch(name: string, cmd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, detached: true });
  running.set(name, child);
  record.services = [...record.services.filter((s) => s.name !== name), { name, pgid: child.pid!, signature: signatureOf(args) }];
  writeStackRecord(RECORD_FILE, record);
  // workerd tries to fetch Request.cf from the internet; offline that is harmless noise.
  const noise = /Request\.cf|workers\.cloudflare\.com|GetAddrInfoReqWrap/;
  const prefix = (line: string) => (line.trim() && !noise.test(line) ? `[${name}] ${line}\n` : "");
  // wrangler restarting one of its runtimes (a workerd that died) is noted by the worker's watch.
  const seen = (text: string) => (name === "worker" ? workerWatch.output(text, Date.now()) : undefined);
  child.stdout!.on("data", (d: Buffer) => (seen(d.toString()), process.stdout.write(d.toString().split("\n").map(prefix).join(""))));
  child.stderr!.on("data", (d: Buffer) => (seen(d.toString()), process.stderr.write(d.toString().split("\n").map(prefix).join(""))));
  child.on("exit", (code, signal) => {
    if (stopping) return;
    // Five deaths within a minute is not an outage to ride out but a service that cannot run: stop.
    const recent = [...(restarts.get(name) ?? []), Date.now()].filter((t) => Date.now() - t < 60_000);
    restarts.set(name, recent);
    if (ready && RESTARTABLE.has(name) && recent.length < 5) {
      const delay = 1000 * 2 ** (recent.length - 1);
      console.error(`${name} exited (${signal ?? code}); starting it again in ${delay / 1000} s.`);
      // What the leader started (workerd under wrangler) may outlive it and keep the port: end the whole group first.
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
      setTimeout(() => {
        if (stopping) return;
        children.splice(children.indexOf(child), 1);
        launch(name, cmd, args, env);
        if (name === "worker") workerStarting = true;
        void afterRestart.get(name)?.()
          .catch((e) => console.error(`${name}: after its restart: ${e instanceof Error ? e.message : e}`))
          .finally(() => { if (name === "worker") workerStarting = false; });
      }, delay);
      return;
    }
    console.error(`${name} exited (${signal ?? code}); stopping.`);
    void stop(1);
  });
  children.push(child);
  return child;
}

// A worker that is up but answers nothing (workerd restarted by wrangler and stuck) is as dead as one that exited:
// after 90 s without any answer, even a 503, its group is ended and the exit handler starts it again. After wrangler
// said it restarted a runtime, 20 s of silence is enough: its own proxy, restarted, never answers again (worker-watch.ts).
const SILENT_LIMIT_MS = Number(process.env.KAQUAN_WORKER_SILENT_MS ?? 90_000);
const AFTER_RUNTIME_CRASH_MS = Number(process.env.KAQUAN_WORKER_RUNTIME_CRASH_MS ?? 20_000);
const workerWatch = new WorkerWatch({ silentLimitMs: SILENT_LIMIT_MS, afterRuntimeCrashMs: AFTER_RUNTIME_CRASH_MS });
// A worker being started again is given its start-up (up to 90 s, as at first) before its silence counts.
let workerStarting = false;
function watchWorker() {
  let checking = false;
  setInterval(async () => {
    if (workerStarting) workerWatch.reset();
    if (checking || stopping || workerStarting) return;
    checking = true;
    try {
      const ok = await fetch(`${WORKER}/api/v1/health`, { signal: AbortSignal.timeout(4000) }).then((r) => (r.body?.cancel(), true), () => false);
      const worker = running.get("worker");
      const verdict = workerWatch.probe(ok, Date.now());
      if (verdict && worker && worker.exitCode === null && worker.signalCode === null) {
        const since = verdict.afterRuntimeCrash ? " since wrangler restarted a runtime" : "";
        console.error(`worker has answered nothing for ${Math.round(verdict.silentMs / 1000)} s${since}; ending it so it starts again.`);
        try {
          process.kill(-worker.pid!, "SIGKILL");
        } catch {}
      }
    } finally {
      checking = false;
    }
  }, 5000).unref();
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping…");
  const exits = children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode ? r(null) : c.once("exit", r))));
  for (const c of children) {
    try {
      process.kill(-c.pid!, "SIGINT");
    } catch {}
  }
  const timer = setTimeout(() => {
    for (const c of children) {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {}
    }
  }, 8000);
  await Promise.all(exits);
  clearTimeout(timer);
  // A service's own leader may exit before what it started (wrangler's CLI under its wrapper, workerd): give the rest
  // of each group a moment, then end it, so no orphan keeps a port or the state files after a stop.
  const alive = (pgid: number) => { try { process.kill(-pgid, 0); return true; } catch { return false; } };
  for (let i = 0; i < 30 && children.some((c) => alive(c.pid!)); i++) await new Promise((r) => setTimeout(r, 100));
  for (const c of children) if (alive(c.pid!)) try { process.kill(-c.pid!, "SIGKILL"); } catch {}
  if (readStackRecord(RECORD_FILE)?.pid === process.pid) removeStackRecord(RECORD_FILE);
  console.log(`Stopped. Data is kept in ${STATE_DIR === "." ? "" : `${STATE_DIR}/`}.wrangler/state and ${STATE_DIR === "." ? "" : `${STATE_DIR}/`}.data/.`);
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

// The last npm start on this state: still running (two workers would write the same SQLite files), or killed with its
// services left running (holding the ports and the state): refuse, or end those first.
{
  const previous = previousStack(readStackRecord(RECORD_FILE), psArgs);
  if ("running" in previous) {
    console.error(`npm start cannot run: another npm start (pid ${previous.running}) runs on the state in ${STATE_DIR === "." ? "this directory" : STATE_DIR}; stop it first, or use another KAQUAN_STATE_DIR.`);
    process.exit(1);
  }
  if (previous.orphans.length) {
    for (const s of previous.orphans) try { process.kill(-s.pgid, "SIGKILL"); } catch {}
    for (let i = 0; i < 50 && previous.orphans.some((s) => psArgs(s.pgid)); i++) await new Promise((r) => setTimeout(r, 100));
    console.log(`• ended what a killed npm start left running on this state: ${previous.orphans.map((s) => `${s.name} (group ${s.pgid})`).join(", ")}`);
  }
}

// Another process on one of our ports would answer our health checks and seed (e.g. with 401): refuse up front.
const taken = await busyPorts([
  { name: "storefront + API", port: PORT, env: "KAQUAN_PORT" },
  // A warehouse run by someone else (KAQUAN_WAREHOUSE_EXTERNAL=1) is meant to be on its port already.
  ...(EXTERNAL_WAREHOUSE ? [] : [{ name: "warehouse", port: WAREHOUSE_PORT, env: "KAQUAN_WAREHOUSE_PORT" }]),
  { name: "supplier sandbox", port: SUPPLIER_PORT, env: "KAQUAN_SUPPLIER_PORT" },
  { name: "alipay sandbox", port: ALIPAY_PORT, env: "KAQUAN_ALIPAY_PORT" },
  { name: "WeChat Pay sandbox", port: WECHATPAY_PORT, env: "KAQUAN_WECHATPAY_PORT" },
]);
if (taken.length) {
  console.error(`npm start cannot run:\n${taken.map((t) => `  • ${t}`).join("\n")}`);
  process.exit(1);
}

// The secrets the state was made with are kept beside it: a fresh checkout started on this state reuses them.
let devVars: ReturnType<typeof ensureDevVars>;
try {
  devVars = ensureDevVars(DEV_VARS_FILE, stateSecretsFile(STATE_DIR));
} catch (e) {
  console.error(`npm start cannot run: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
const { vars, created, restored } = devVars;
if (restored.length) console.log(`• restored to .dev.vars from the state (${stateSecretsFile(STATE_DIR)}): ${restored.join(", ")}`);
if (created.length) console.log(`• wrote to .dev.vars: ${created.join(", ")}`);

// Tests build the site once up front and start several stacks; they set KAQUAN_SKIP_BUILD.
if (!process.env.KAQUAN_SKIP_BUILD) step("building the storefront (Astro)", bin("astro"), ["build", "--silent"]);
{
  process.stdout.write("• applying D1 migrations… ");
  const started = Date.now();
  try {
    const applied = await applyLocalD1Migrations(`${STATE_DIR}/.wrangler/state`);
    console.log(`done (${applied.length} new, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.log("failed");
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}

if (!EXTERNAL_WAREHOUSE) {
  launch("warehouse", process.execPath, ["--import", "tsx", "analytics/main.ts"], {
    WAREHOUSE_PORT: String(WAREHOUSE_PORT),
    WAREHOUSE_DATA_DIR: `${STATE_DIR}/.data/clickhouse`,
  });
}
launch("suppliers", process.execPath, ["--import", "tsx", "scripts/supplier-sandbox.ts"], {
  SUPPLIER_PORT: String(SUPPLIER_PORT),
  SUPPLIER_SANDBOX_SECRET: vars.SUPPLIER_SANDBOX_SECRET!,
  SUPPLIER_STATE_FILE: `${STATE_DIR}/.data/suppliers.jsonl`,
});
launch("alipay", process.execPath, ["--import", "tsx", "scripts/alipay-sandbox.ts"], {
  ALIPAY_PORT: String(ALIPAY_PORT),
  ALIPAY_STATE_FILE: `${STATE_DIR}/.data/alipay-sandbox.json`,
});
launch("wechatpay", process.execPath, ["--import", "tsx", "scripts/wechatpay-sandbox.ts"], {
  WECHATPAY_PORT: String(WECHATPAY_PORT),
  WECHATPAY_STATE_FILE: `${STATE_DIR}/.data/wechatpay.json`,
});
launch("worker", bin("wrangler"), [
  "dev", "--local", "--ip", "127.0.0.1", "--port", String(PORT), "--log-level", "warn", "--show-interactive-dev-session=false",
  // wrangler dev does not fire cron triggers itself; --test-scheduled lets the ticker below do it (/__scheduled).
  "--test-scheduled",
  ...persist, "--var", `WAREHOUSE_URL:${WAREHOUSE}`, "--var", `CORS_ORIGINS:${WORKER},http://localhost:${PORT}`,
  // Load generators on this machine all come from 127.0.0.1; they may lift the per-IP order ceiling.
  ...(process.env.KAQUAN_ORDER_IP_LIMIT ? ["--var", `ORDER_IP_LIMIT_PER_MIN:${process.env.KAQUAN_ORDER_IP_LIMIT}`] : []),
  ...VAR_OVERRIDES,
  // Profiling (bench/profile.ts --port N): the worker's inspector on a known port instead of wrangler's default.
  ...(process.env.KAQUAN_INSPECTOR_PORT ? ["--inspector-port", process.env.KAQUAN_INSPECTOR_PORT] : []),
  ...(process.env.KAQUAN_SESSION_IP_LIMIT ? ["--var", `SESSION_IP_LIMIT_PER_MIN:${process.env.KAQUAN_SESSION_IP_LIMIT}`] : []),
], { X_LOCAL_OBSERVABILITY: "false", WRANGLER_SEND_METRICS: "false" });

try {
  await waitFor(`${WAREHOUSE}/health`, 60_000, (r) => r.ok);
  await waitFor(`${WORKER}/api/v1/health`, 90_000, (r) => r.ok);
  await waitFor(`${SUPPLIERS}/health`, 30_000, (r) => r.ok);
  process.env.KAQUAN_SUPPLIER_URL = SUPPLIERS;
  await waitFor(`${ALIPAY}/health`, 30_000, (r) => r.ok);
  process.env.KAQUAN_ALIPAY_URL = ALIPAY;
  await waitFor(`${WECHATPAY}/health`, 30_000, (r) => r.ok);
  process.env.KAQUAN_WECHATPAY_URL = WECHATPAY;
  // The local Queue broker (Miniflare) keeps messages in memory: whatever it held when the last run stopped is gone.
  // Every event message journaled before now goes again at once (the warehouse drops what it already has).
  const resendInFlight = () =>
    fetch(`${WORKER}/api/v1/platform/events/in-flight/resend`, { method: "POST", headers: { authorization: `Bearer ${vars.PLATFORM_ADMIN_TOKEN}` } })
      .then(async (r) => {
        const body = (await r.json().catch(() => null)) as { resent?: number } | null;
        if (body?.resent) console.log(`[start] sent ${body.resent} event messages of the last run again (the local Queue had lost them)`);
      })
      .catch(() => undefined);
  await resendInFlight();
  afterRestart.set("worker", async () => {
    await waitFor(`${WORKER}/api/v1/health`, 90_000, (r) => r.status === 200 || r.status === 503);
    console.log(`[start] the worker answers again at ${WORKER}/`);
    await resendInFlight();
  });
  // The minute cron of wrangler.toml (lapsed reservations, voucher expiry, parked events, dead letters, paid orders
  // still to deliver), as Cloudflare would run it; once at start too, so a restart picks up what a crash left at once —
  // and before the seed, which waits for the events a crash left to the cron (start-sequence.ts).
  const tick = () => fetch(`${WORKER}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.body?.cancel(), () => undefined);
  const seed = await cronThenSeed(tick, CRON_EVERY_MS, () => seedDemo(WORKER, vars.PLATFORM_ADMIN_TOKEN!, `${STATE_DIR}/.kaquan`));
  watchWorker();
  ready = true;
  console.log(`
kaquan is running.
  Storefront     ${WORKER}/   (demo shop: ${WORKER}/shop/?t=demo · campaigns: ${WORKER}/campaigns/?t=demo)
  Consoles       ${WORKER}/admin/ (operator/admin key) · ${WORKER}/merchant/ (redeemer key) · ${WORKER}/dashboard/ (analyst key)
  API            ${WORKER}/api/v1/health   (OpenAPI: ${WORKER}/api/v1/openapi.json)
  Warehouse      ${WAREHOUSE}/health   (embedded ClickHouse in ${STATE_DIR}/.data/clickhouse)
  Suppliers      ${SUPPLIERS}/health   (sandbox upstream: cheapco, steadyco)
  Alipay sandbox ${ALIPAY}/gateway.do   (支付宝 with its own test keys; the demo tenant is connected)
  WeChat Pay     ${WECHATPAY}/sandbox/merchant   (API v3 sandbox; the demo brand's 微信支付 account)

Demo Brand (tenant ${seed.tenantId}) API keys — also saved in ${STATE_DIR}/.kaquan/demo-keys.json:
${Object.entries(seed.keys).map(([scope, key]) => `  ${scope.padEnd(9)} ${key}`).join("\n")}
Platform admin token: see PLATFORM_ADMIN_TOKEN in .dev.vars

Ctrl-C stops everything; data survives restarts. A sandbox, the warehouse or the worker that dies is started again.`);
} catch (e) {
  console.error(`start failed: ${e instanceof Error ? e.message : e}`);
  await stop(1);
}
