/**
 * npm run bench:orders [-- --buyers 500 --concurrency 10 --stock 500 --url http://127.0.0.1:8787 --state . | --direct]
 *
 * Concurrent buyers on the local stack: each places a guest order for a card key, pays on the sandbox gateway
 * (which posts the signed callback to the worker), then reads the order until the key is visible. Latency is
 * measured, as the issue asks, from the gateway posting the callback (it reports when) to the key being visible to
 * the buyer; the buyer's whole pay click → key visible is printed too. Afterwards every key
 * seen is checked for double delivery. Without --url it starts its own `npm start` stack on free ports; with --direct
 * the deploy bundle alone in workerd (no `wrangler dev` proxy, no events consumer or warehouse on its thread).
 * In the same run, the same journey against a reference — a plain Node HTTP server on SQLite in WAL mode
 * (bench/lib/sqlite-ref-shop.ts), as a one-box 发卡 shop would be built — gives `reference_p95_ms` and
 * `ratio` = kaquan p95 / reference p95 (--skip-reference to leave it out).
 * Prints figures, then one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import { freePort } from "../scripts/lib/free-port";
import { kaquanClient, must } from "../scripts/lib/api/client";
import { benchStack } from "./lib/local-stack";
import { loadGate } from "./lib/machine-load";
import { BENCH_BINDINGS, BENCH_PLATFORM_TOKEN, buildBundle, startWorkerd } from "./lib/workerd-harness";

const gate = loadGate();

const { values: args } = parseArgs({
  options: {
    buyers: { type: "string", default: "500" },
    concurrency: { type: "string", default: "10" },
    stock: { type: "string" },
    url: { type: "string" },
    state: { type: "string", default: "." },
    "skip-reference": { type: "boolean", default: false },
    // The deploy bundle in workerd alone (bench/lib/workerd-harness.ts): no `wrangler dev` proxy in front and no
    // events consumer or warehouse sharing workerd's thread, as on Cloudflare, where neither is on the request's path.
    direct: { type: "boolean", default: false },
  },
});
const BUYERS = Number(args.buyers);
const CONCURRENCY = Number(args.concurrency);
const STOCK = Math.max(BUYERS, Number(args.stock ?? BUYERS));

const bench = args.direct ? await directStack() : await benchStack("orders", args.url, args.state!);
const { base, admin, slug } = bench;

/** The worker bundle in workerd with a fresh tenant (the stack's per-IP ceilings lifted: every buyer is 127.0.0.1). */
async function directStack() {
  const dir = mkdtempSync(join(tmpdir(), "kq-bench-orders-direct-"));
  const harness = await startWorkerd(buildBundle(join(dir, "bundle")), join(dir, "state"), {
    ...BENCH_BINDINGS, ORDER_IP_LIMIT_PER_MIN: "1000000", SESSION_IP_LIMIT_PER_MIN: "1000000",
  });
  const platform = kaquanClient(harness.url, BENCH_PLATFORM_TOKEN);
  const slug = `bench-${Date.now().toString(36)}`;
  const tenant = await must(platform.POST("/platform/tenants", { body: { slug, name: "Bench" } }));
  const key = await must(platform.POST("/platform/tenants/{tenantId}/keys", { params: { path: { tenantId: tenant.id } }, body: { name: "bench", scopes: ["admin"] } }));
  return {
    base: harness.url,
    admin: kaquanClient(harness.url, key.secret),
    slug,
    cpuMs: harness.cpuMs,
    async stop() {
      await harness.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A fresh product holding one key per buyer (or --stock keys).
const product = await must(admin.POST("/products", {
  body: {
    kind: "card_key", name: `压测卡 ${new Date().toISOString()}`, priceCents: 990, faceValueCents: 1000,
    validity: { kind: "relative", days: 30 }, scope: "压测用", lowStockThreshold: 0,
  },
}));
const productPath = { params: { path: { productId: product.id } } };
for (let i = 0; i < STOCK; i += 1000) {
  const rows = Array.from({ length: Math.min(1000, STOCK - i) }, (_, j) => ({ line: i + j + 1, secret: `BENCH-${product.id}-${i + j}` }));
  await must(admin.POST("/products/{productId}/keys/import", { ...productPath, body: { rows } }));
}
await must(admin.POST("/products/{productId}/status", { ...productPath, body: { status: "published" } }));

type Run = { latencies: number[]; clickLatencies: number[]; seconds: number; errors: number; doubled: number; keysSeen: number; statuses: Record<string, number> };

/** The buyer journey against one shop (kaquan, or the reference: same URL shapes), then a read-back of every order. */
async function runBuyers(base: string, productId: string, afterJourneys?: () => void): Promise<Run> {
  async function call(method: string, path: string, init: { cookie?: string; idem?: string; body?: unknown } = {}) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.idem ? { "idempotency-key": init.idem } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, cookie: res.headers.get("set-cookie")?.split(";")[0] ?? init.cookie, body: text ? JSON.parse(text) : null };
  }

  const latencies: number[] = [];
  const clickLatencies: number[] = [];
  const placed: { id: string; cookie: string | undefined }[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const count = (k: string) => (statuses[k] = (statuses[k] ?? 0) + 1);

  async function buyer() {
    for (;;) {
      const i = next++;
      if (i >= BUYERS) return;
      try {
        const o = await call("POST", `/api/v1/shop/${slug}/orders`, { idem: `bench-${productId}-${i}`, body: { productId } });
        count(`order ${o.status}`);
        if (o.status !== 201) {
          errors++;
          continue;
        }
        placed.push({ id: o.body.id, cookie: o.cookie });
        const t0 = performance.now();
        const paid = await call("POST", `${o.body.checkoutUrl}/pay`);
        count(`pay ${paid.status}`);
        let visible: string | undefined;
        for (let tries = 0; tries < 200 && !visible; tries++) {
          const v = await call("GET", `/api/v1/shop/${slug}/orders/${o.body.id}`, { cookie: o.cookie });
          visible = v.body?.vouchers?.[0]?.secret;
          if (!visible) await new Promise((r) => setTimeout(r, 10));
        }
        if (!visible) {
          errors++;
          count("key never visible");
          continue;
        }
        // The measure: from the gateway posting the callback (its clock = this machine's) to the key visible.
        latencies.push(Date.now() - paid.body.callbackSentAt);
        clickLatencies.push(performance.now() - t0);
      } catch (e) {
        errors++;
        count(`exception ${e instanceof Error ? e.message : e}`);
      }
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, buyer));
  const seconds = (performance.now() - started) / 1000;
  afterJourneys?.();
  // Double delivery: every order placed is read back by its buyer; a key may appear in one order only.
  const owner = new Map<string, string>();
  let doubled = 0;
  for (const o of placed) {
    const v = await call("GET", `/api/v1/shop/${slug}/orders/${o.id}`, { cookie: o.cookie });
    for (const voucher of v.body?.vouchers ?? []) {
      const seen = owner.get(voucher.secret);
      if (seen && seen !== o.id) doubled++;
      owner.set(voucher.secret, o.id);
    }
  }
  return { latencies, clickLatencies, seconds, errors, doubled, keysSeen: owner.size, statuses };
}

const percentile = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 10) / 10;
};

/** The same journey on a plain Node HTTP server + SQLite (WAL), its own process (bench/lib/sqlite-ref-shop.ts). */
async function runReference(): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "kq-bench-orders-ref-"));
  const port = await freePort();
  const server = fork(join(import.meta.dirname, "lib/sqlite-ref-shop.ts"), [], {
    execArgv: ["--import", "tsx", "--no-warnings"],
    env: { ...process.env, PORT: String(port), DB_FILE: join(dir, "shop.sqlite"), KEYS: String(STOCK) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("message", () => resolve());
      server.once("exit", (code) => reject(new Error(`reference shop exited ${code}`)));
    });
    return await runBuyers(`http://127.0.0.1:${port}`, "prd_ref");
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cpuMs = "cpuMs" in bench ? bench.cpuMs : undefined;
const cpuBefore = cpuMs?.();
let cpuAfter: number | null | undefined;
// workerd's CPU per order placed, --direct only (the read-back of every order after the run is not in it).
const w = await runBuyers(base, product.id, () => (cpuAfter = cpuMs?.()));
const cpuPerOrder = cpuAfter != null && cpuBefore != null && w.latencies.length ? Math.round(((cpuAfter - cpuBefore) / w.latencies.length) * 100) / 100 : null;
const latencies = w.latencies;
const pct = percentile(latencies);
const click = percentile(w.clickLatencies);
const seconds = w.seconds;
const statuses = w.statuses;
const stock = await must(admin.GET("/products/{productId}/stock", productPath));
// Keep a shared demo catalog clean when run against an existing stack.
await must(admin.POST("/products/{productId}/status", { ...productPath, body: { status: "archived" } }));
const ref = args["skip-reference"] ? null : await runReference();
const refPct = ref ? percentile(ref.latencies) : null;
const result = {
  stack: args.direct ? "workerd" : args.url ? "given" : "npm start",
  orders_per_s: Math.round((latencies.length / seconds) * 10) / 10,
  p50_ms: pct(0.5),
  p95_ms: pct(0.95),
  p99_ms: pct(0.99),
  workerd_cpu_ms_per_order: cpuPerOrder,
  double_delivered: w.doubled + Math.max(0, stock.delivered - w.keysSeen) + (ref?.doubled ?? 0),
  errors: w.errors,
  reference_orders_per_s: ref ? Math.round((ref.latencies.length / ref.seconds) * 10) / 10 : null,
  reference_p50_ms: refPct ? refPct(0.5) : null,
  reference_p95_ms: refPct ? refPct(0.95) : null,
  reference_errors: ref?.errors ?? null,
  // kaquan's p95 over the reference's: how many times slower the edge stack is on one box.
  ratio: refPct ? Math.round((pct(0.95) / Math.max(0.1, refPct(0.95))) * 100) / 100 : null,
};
console.log(`buyers ${BUYERS}, concurrency ${CONCURRENCY}, stock ${STOCK} keys, ${seconds.toFixed(1)} s wall, ${latencies.length} keys delivered`);
console.log(`payment callback → key visible: p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, p99 ${result.p99_ms} ms`);
console.log(`buyer's pay click (sandbox gateway route, callback, answer) → key visible: p50 ${click(0.5)} ms, p95 ${click(0.95)} ms, p99 ${click(0.99)} ms`);
console.log(`stock after: ${JSON.stringify(stock)}; statuses: ${JSON.stringify(statuses)}`);
if (ref && refPct) {
  console.log(`reference (Node HTTP + SQLite WAL, one process): ${ref.latencies.length} keys in ${ref.seconds.toFixed(1)} s; callback → key visible p50 ${refPct(0.5)} ms, p95 ${refPct(0.95)} ms; statuses ${JSON.stringify(ref.statuses)}`);
}
await bench.stop();
gate.report(result);
