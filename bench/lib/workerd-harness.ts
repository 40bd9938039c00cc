/**
 * Runs the worker bundle in workerd through the Miniflare API (the Miniflare that wrangler itself uses), without
 * the `wrangler dev` proxy in front: `wrangler deploy --dry-run --outdir` builds the exact bundle that would be
 * deployed, bindings come from wrangler.toml, D1 migrations are applied through the Miniflare D1 binding.
 * No queue consumer: events pile up in the local queue instead of costing CPU during a measurement.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";

const req = createRequire(import.meta.url);
// wrangler's own copy (the top-level one belongs to the Workers test pool and may differ).
const mfPath = req.resolve("miniflare", { paths: [req.resolve("wrangler")] });
const { Miniflare, convertV4MiniflareOptions, NoOpLog } = req(mfPath) as typeof import("miniflare") & {
  convertV4MiniflareOptions: (o: unknown) => ConstructorParameters<typeof import("miniflare").Miniflare>[0];
};

export interface Harness {
  url: string;
  /**
   * A bare worker in the same workerd process (its own isolate and direct socket, on the same thread): it answers
   * every request with a fixed 409 JSON body and reads nothing. What workerd itself costs per request through this
   * harness, with no application code (bench:claims' `bare_per_s`).
   */
  bareUrl: string;
  /** The worker's D1 database (for checks after a run). */
  db: Awaited<ReturnType<InstanceType<typeof Miniflare>["getD1Database"]>>;
  dispose(): Promise<void>;
  /** CPU time workerd has used so far, in ms (user + system; every isolate, D1 and the objects included); null off Linux. */
  cpuMs(): number | null;
}

/** The secrets and vars a bench worker runs with (never a deployment's: these are printed in the source). */
export const BENCH_PLATFORM_TOKEN = "bench-platform-token";
export const BENCH_BINDINGS: Record<string, string> = {
  ENVIRONMENT: "development",
  PLATFORM_ADMIN_TOKEN: BENCH_PLATFORM_TOKEN,
  API_KEY_PEPPER: "bench-pepper",
  WAREHOUSE_INGEST_SECRET: "bench",
  WAREHOUSE_QUERY_SECRET: "bench-query",
  CARD_KEY_ENCRYPTION_KEY: "bench-card-key-encryption-key",
  BUYER_SESSION_SECRET: "bench",
  PAYMENT_SANDBOX_SECRET: "bench",
  SUPPLIER_SANDBOX_SECRET: "bench",
  SETTLEMENT_SIGNING_KEY: "bench-settlement-signing-key",
};

/** The bare worker's answer: the size and shape of a sold-out claim's 409. */
const BARE_BODY = JSON.stringify({ error: { code: "sold_out", message: "This campaign is sold out", requestId: "00000000-0000-4000-8000-000000000000" } });

export function buildBundle(outDir: string): string {
  if (!existsSync("dist/site")) mkdirSync("dist/site", { recursive: true });
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outDir], { stdio: "ignore" });
  return join(outDir, "index.js");
}

export async function startWorkerd(bundle: string, stateDir: string, bindings: Record<string, string>): Promise<Harness> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
  const keep = ["compatibilityDate", "compatibilityFlags", "bindings", "d1Databases", "queueProducers", "durableObjects"];
  const picked = Object.fromEntries(Object.entries(workerOptions).filter(([k, v]) => v !== undefined && keep.includes(k)));
  // The claims consumer makes the orders of won claims (as deployed); the events consumers stay off (no warehouse here).
  const consumers = workerOptions.queueConsumers as Record<string, unknown> | undefined;
  if (!process.env.BENCH_NO_FULFIL && consumers && !Array.isArray(consumers) && consumers["kaquan-claims"]) picked.queueConsumers = { "kaquan-claims": consumers["kaquan-claims"] };
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          ...picked,
          name: "kaquan",
          modules: true,
          scriptPath: bundle,
          modulesRoot: dirname(bundle),
          bindings: { ...(picked.bindings as Record<string, string>), ...bindings },
          // A socket straight into the worker: skips Miniflare's entry worker (request rewriting, logging hooks).
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
        {
          name: "bare",
          modules: true,
          compatibilityDate: picked.compatibilityDate as string,
          script: `export default { fetch() { return new Response(${JSON.stringify(BARE_BODY)}, { status: 409, headers: { "content-type": "application/json" } }); } };`,
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
      ],
      host: "127.0.0.1",
      port: 0,
      log: new NoOpLog(),
      ...(process.env.KAQUAN_BENCH_INSPECT ? { inspectorPort: Number(process.env.KAQUAN_BENCH_INSPECT) } : {}),
      logRequests: false,
      unsafeObservability: false,
      d1Persist: join(stateDir, "d1"),
      durableObjectsPersist: join(stateDir, "do"),
    }),
  );
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL("kaquan")).origin;
  const bareUrl = (await mf.unsafeGetDirectURL("bare")).origin;
  const db = await mf.getD1Database("DB");
  for (const file of readdirSync("schema/d1").filter((f) => f.endsWith(".sql")).sort()) {
    for (const stmt of unstable_splitSqlQuery(readFileSync(join("schema/d1", file), "utf8"))) await db.prepare(stmt).run();
  }
  return { url, bareUrl, db, dispose: () => mf.dispose(), cpuMs: workerdCpuMs };
}

/**
 * Locally every isolate (the worker, D1, the objects, the queue broker) runs on workerd's one thread, so CPU per
 * request is what a change saves or costs, and far steadier than latency under contention. Read from /proc: workerd
 * is this process's child (Linux only; null elsewhere).
 */
function workerdCpuMs(): number | null {
  const tick = 10; // USER_HZ = 100 on Linux
  try {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      if (!stat.slice(0, close).endsWith("(workerd")) continue;
      const f = stat.slice(close + 2).split(" ");
      if (Number(f[1]) !== process.pid) continue; // field 4: the parent
      return (Number(f[11]) + Number(f[12])) * tick; // fields 14, 15: utime, stime
    }
  } catch {
    // no /proc
  }
  return null;
}
