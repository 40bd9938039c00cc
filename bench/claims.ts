/**
 * npm run bench:claims [-- --duration 30 --connections 100 --stock 3000 --shards 1 --kind flash_sale]
 *
 * 1. The worker (the exact `wrangler deploy --dry-run` bundle) in workerd via the Miniflare API, D1 migrated, a
 *    tenant + flash sale created through the API; N connections POST claims by random users (random IPs, so the
 *    per-IP limiter is not what is measured) for the duration. The pool is far smaller than the demand.
 *    Beside it, the same requests to a bare worker in the same workerd (no application code): workerd's own cost.
 * 2. The reference: a Node HTTP server running the same claim as one Redis Lua script on Debian's redis-server
 *    (installed with apt-get if missing), same load.
 * Prints figures, then one JSON line. Oversold = accepted claims beyond the stock, or claims the shards did not
 * account for.
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { freePort } from "../scripts/lib/free-port";
import { kaquanClient, must } from "../scripts/lib/api/client";
import { DEMO_COUPON_PRODUCT } from "../scripts/lib/seed-campaigns";
import { Resp } from "./lib/resp";
import { loadGate } from "./lib/machine-load";
import { BENCH_BINDINGS, BENCH_PLATFORM_TOKEN, buildBundle, startWorkerd } from "./lib/workerd-harness";
import { signSession } from "../worker/domain/buyer-session";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "30" },
    connections: { type: "string", default: "100" },
    stock: { type: "string", default: "3000" },
    // Locally every shard object runs on the same single workerd thread as the worker and D1, so more shards add
    // commits and outbox work without adding parallelism; on Cloudflare each shard is its own object. Run with
    // --shards 4 to exercise stock moving between shards under load (README: both figures).
    shards: { type: "string", default: "1" },
    kind: { type: "string", default: "flash_sale" },
    // Issue 19: the claim path's cost with an eligibility rule on. segment: every buyer of the token pool is in a
    // segment synced to segment_members (all pass, one primary-key lookup per claimant); first_order: no paid order yet.
    eligibility: { type: "string", default: "none" },
    "skip-reference": { type: "boolean", default: false },
    // Where workerd keeps D1 and Durable Object SQLite files (a diagnostic: /dev/shm takes the disk out).
    "state-dir": { type: "string", default: tmpdir() },
  },
});
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const TOKEN_POOL = 60_000;
const STOCK = Number(args.stock);
const SHARDS = Number(args.shards);
const PLATFORM = BENCH_PLATFORM_TOKEN;
const FULFIL_WAIT_S = 300;

interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  winners: number;
  phases: { sellingS: number; sellingPerSecond: number; soldOutPerSecond: number; sellingP99: number; soldOutP99: number };
  /** Stretches over 15 ms in which no answer arrived at all (every connection waiting): the server's own pauses. */
  stalls: { count: number; totalMs: number; largestMs: number };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function load(origin: string, path: string, seconds: number, body: () => string, headers: () => Record<string, string>): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  const lat: number[] = [];
  const doneAt: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let winners = 0;
  let lastWinAt = 0;
  let beforeLastWin = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const res = await pool.request({ path, method: "POST", body: body(), headers: { "content-type": "application/json", ...headers() } });
          const text = await res.body.text();
          const t1 = performance.now();
          lat.push(t1 - t0);
          doneAt.push(t1);
          const key = res.statusCode === 409 ? `409:${(JSON.parse(text) as { error: { code: string } }).error.code}` : String(res.statusCode);
          statuses[key] = (statuses[key] ?? 0) + 1;
          if (res.statusCode === 200) {
            winners++;
            lastWinAt = performance.now();
            beforeLastWin = lat.length;
          }
          else if (res.statusCode >= 500 || (res.statusCode !== 409 && res.statusCode !== 429)) errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  // Two phases of a flash sale: selling (until the last unit went) and sold out (every answer is a refusal); the tail
  // of each apart, since the few slow selling answers can be the whole run's p99.
  const selling = lat.filter((_, i) => doneAt[i]! <= lastWinAt).sort((a, b) => a - b);
  const soldOut = lat.filter((_, i) => doneAt[i]! > lastWinAt).sort((a, b) => a - b);
  const stalls = { count: 0, totalMs: 0, largestMs: 0 };
  for (let i = 1; i < doneAt.length; i++) {
    const gap = doneAt[i]! - doneAt[i - 1]!; // answers arrive in order: doneAt is already sorted
    if (gap <= 15) continue;
    stalls.count++;
    stalls.totalMs += Math.round(gap);
    stalls.largestMs = Math.max(stalls.largestMs, Math.round(gap));
  }
  lat.sort((a, b) => a - b);
  const sellingS = Math.max(0.001, (lastWinAt - started) / 1000);
  const phases = {
    sellingS: round(sellingS), sellingPerSecond: Math.round(beforeLastWin / sellingS), soldOutPerSecond: Math.round((lat.length - beforeLastWin) / Math.max(0.001, elapsed - sellingS)),
    sellingP99: round(pct(selling, 0.99)), soldOutP99: round(pct(soldOut, 0.99)),
  };
  return { requests: lat.length, perSecond: Math.round(lat.length / elapsed), p50: round(pct(lat, 0.5)), p99: round(pct(lat, 0.99)), statuses, errors, winners, phases, stalls };
}

const stallText = (r: LoadResult) => `; no answer at all for ${r.stalls.totalMs} ms in ${r.stalls.count} stalls over 15 ms (largest ${r.stalls.largestMs} ms)`;

const round = (x: number) => Math.round(x * 10) / 10;
const rnd = () => Math.floor(Math.random() * 1e9).toString(36);
const randomIp = () => `10.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}.${(Math.random() * 255) | 0}`;

async function benchWorker() {
  const dir = mkdtempSync(join(args["state-dir"]!, "kaquan-bench-claims-"));
  console.log("worker: building the bundle (wrangler deploy --dry-run --outdir) …");
  const bundle = buildBundle(join(dir, "bundle"));
  const harness = await startWorkerd(bundle, join(dir, "state"), BENCH_BINDINGS);
  try {
    const o = harness.url;
    const platform = kaquanClient(o, PLATFORM);
    const tenant = await must(platform.POST("/platform/tenants", { body: { slug: `bench-${rnd()}`, name: "Bench" } }));
    const key = await must(platform.POST("/platform/tenants/{tenantId}/keys", { params: { path: { tenantId: tenant.id } }, body: { name: "bench", scopes: ["admin"] } }));
    const admin = kaquanClient(o, key.secret);
    // A real catalog product, so every won claim becomes a real order (the claims consumer runs during the measurement).
    const product = await must(admin.POST("/products", { body: DEMO_COUPON_PRODUCT }));
    const users = Array.from({ length: TOKEN_POOL }, () => `u${rnd()}${rnd()}`);
    const eligibility = await eligibilityRule(harness.db, tenant.id, users);
    const startsAt = Date.now() + 1500;
    const campaign = await must(admin.POST("/campaigns", { body: {
      ...(eligibility ? { eligibility } : {}),
      kind: args.kind as "flash_sale" | "coupon_claim",
      name: "压测秒杀",
      productId: product.id,
      priceCents: 990,
      stock: STOCK,
      perUserLimit: 1,
      shards: SHARDS,
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(startsAt + 3_600_000).toISOString(),
    } }));
    await new Promise((r) => setTimeout(r, startsAt - Date.now() + 50));
    const path = `/api/v1/public/campaigns/${campaign.id}/claims`;

    // Where the time goes: the same connections against a route that stops in the worker (isolate cache, no DO).
    const floor = await load(o, `/api/v1/public/campaigns/${campaign.id}/nope`, Math.min(5, DURATION_S), () => "{}", () => ({}));
    console.log(`worker: routing floor (404 in the worker, no Durable Object) ${floor.perSecond}/s p50 ${floor.p50} ms p99 ${floor.p99} ms${stallText(floor)}`);
    // The harness's ceiling: the claim route itself, answered at its first exit (a malformed body → 400), so the same
    // socket, fast path, headers and error body, with no session or Durable Object behind it (the campaign comes from
    // the isolate cache: the public refusals are asked before the body is parsed).
    const ceiling = await load(o, `/api/v1/public/campaigns/${campaign.id}/claims`, Math.min(5, DURATION_S), () => "x", () => ({}));
    console.log(`worker: ceiling (the claim route's own 400 for a malformed body) ${ceiling.perSecond}/s p50 ${ceiling.p50} ms p99 ${ceiling.p99} ms${stallText(ceiling)}`);

    // Claims need a signed buyer session (the widget gets one from /session); sign a pool of random buyers up front.
    // A rule that depends on who the buyer is asks for a verified phone first: with one on, the pool signs in by phone.
    const nowS = Math.floor(Date.now() / 1000);
    const facts = eligibility ? { phone: true, member: false, createdS: nowS } : undefined;
    const tokens = await Promise.all(users.map((u) => signSession("bench", tenant.id, u, nowS, facts)));
    let next = 0;
    const claimHeaders = () => ({ "cf-connecting-ip": randomIp(), authorization: `Bearer ${tokens[next++ % tokens.length]}` });
    // workerd itself: the same requests to a bare worker in the same process (a fixed 409, no application code).
    const bare = await load(harness.bareUrl, path, Math.min(5, DURATION_S), () => "{}", claimHeaders);
    console.log(`workerd: bare worker (a fixed 409, nothing read, same process and requests) ${bare.perSecond}/s p50 ${bare.p50} ms p99 ${bare.p99} ms${stallText(bare)}`);
    const r = await load(o, path, DURATION_S, () => "{}", claimHeaders);
    const live = await must(kaquanClient(o).GET("/public/campaigns/{campaignId}/live", { params: { path: { campaignId: campaign.id } } }));
    const remaining = Object.values(live.remaining).reduce((a, b) => a + b, 0);
    const sold = STOCK - remaining;
    console.log(`worker: ${r.requests} claims in ${DURATION_S}s → ${r.perSecond}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, statuses ${JSON.stringify(r.statuses)}${stallText(r)}`);
    console.log(`worker: selling phase ${r.phases.sellingS}s at ${r.phases.sellingPerSecond}/s (p99 ${r.phases.sellingP99} ms), sold-out phase at ${r.phases.soldOutPerSecond}/s (p99 ${r.phases.soldOutP99} ms)`);
    console.log(`worker: accepted ${r.winners}, stock ${STOCK}, shards say sold ${sold} (remaining ${remaining})`);
    // After the rush: every won claim must become exactly one order (forwarded by the shards, made by the claims consumer).
    const fulfilStarted = performance.now();
    let orders = { n: 0, uniq: 0 };
    while (performance.now() - fulfilStarted < FULFIL_WAIT_S * 1000) {
      orders = (await harness.db
        .prepare("SELECT count(*) AS n, count(DISTINCT idempotency_key) AS uniq FROM orders WHERE campaign_id = ?")
        .bind(campaign.id)
        .first<{ n: number; uniq: number }>())!;
      if (orders.n >= r.winners) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const fulfilS = round((performance.now() - fulfilStarted) / 1000);
    console.log(`worker: ${orders.n} orders for ${r.winners} won claims (${orders.uniq} distinct claims), all there ${fulfilS} s after the load stopped`);
    return { ...r, sold, floor, ceiling, bare, orders: orders.n, doubleOrders: orders.n - orders.uniq };
  } finally {
    await harness.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The campaign's rule for --eligibility (a segment holding every pool buyer is written straight into D1, as a sync would). */
async function eligibilityRule(db: D1Database, tenantId: string, users: string[]) {
  if (args.eligibility === "none") return null;
  if (args.eligibility === "first_order") return { firstOrder: true };
  if (args.eligibility !== "segment") throw new Error(`--eligibility none|segment|first_order, not ${args.eligibility}`);
  const segmentId = `seg_bench_${rnd()}`;
  await db.prepare("INSERT INTO segments (id, tenant_id, name, source, current_run_id, size) VALUES (?, ?, 'bench', 'upload', 'run1', ?)").bind(segmentId, tenantId, users.length).run();
  const insert = db.prepare("INSERT INTO segment_members (tenant_id, segment_id, buyer_id, run_id) VALUES (?, ?, ?, 'run1')");
  for (let i = 0; i < users.length; i += 1000) await db.batch(users.slice(i, i + 1000).map((u) => insert.bind(tenantId, segmentId, u)));
  return { segmentIds: [segmentId] };
}

function ensureRedis(): string {
  const bin = "/usr/bin/redis-server";
  if (!existsSync(bin)) {
    console.log("reference: installing Debian's redis-server (apt-get) …");
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], { stdio: "inherit" });
  }
  return bin;
}

async function benchReference() {
  const bin = ensureRedis();
  const redisPort = await freePort();
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kaquan-bench-redis-"));
  // AOF with fsync every second: the usual production setting for this design (a crash can lose up to 1 s).
  const redis = spawn(bin, ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"], { stdio: "ignore" });
  let server: ChildProcess | null = null;
  try {
    for (let i = 0; i < 50; i++) {
      try {
        const c = new Resp(redisPort);
        await c.ready();
        c.close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    server = fork(join(import.meta.dirname, "lib/redis-ref-server.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, REDIS_PORT: String(redisPort), PORT: String(httpPort), STOCK: String(STOCK), PER_USER_LIMIT: "1" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("message", () => resolve());
      server!.once("exit", (code) => reject(new Error(`reference server exited ${code}`)));
    });
    const r = await load(`http://127.0.0.1:${httpPort}`, "/claim", DURATION_S, () => JSON.stringify({ userId: `u${rnd()}${rnd()}` }), () => ({}));
    const c = new Resp(redisPort);
    await c.ready();
    const left = Number(await c.call("GET", "stock"));
    const logged = Number(await c.call("LLEN", "claims"));
    c.close();
    console.log(`reference: selling phase ${r.phases.sellingS}s at ${r.phases.sellingPerSecond}/s (p99 ${r.phases.sellingP99} ms), sold-out phase at ${r.phases.soldOutPerSecond}/s (p99 ${r.phases.soldOutP99} ms)`);
    console.log(`reference: ${r.requests} claims → ${r.perSecond}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, statuses ${JSON.stringify(r.statuses)}; stock left ${left}, logged ${logged}${stallText(r)}`);
    return { ...r, sold: STOCK - left };
  } finally {
    server?.kill();
    redis.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const gate = loadGate();
console.log(`bench:claims — ${CONNECTIONS} connections, ${DURATION_S}s each, stock ${STOCK}, ${SHARDS} shards, kind ${args.kind}, eligibility ${args.eligibility}`);
const w = await benchWorker();
const ref = args["skip-reference"] ? null : await benchReference();
// Oversold also counts a claim turned into two orders.
const oversold = Math.max(0, w.winners - STOCK) + Math.abs(w.sold - w.winners) + w.doubleOrders + (ref ? Math.max(0, ref.winners - STOCK) : 0);
if (w.orders !== w.winners) console.log(`worker: WARNING ${w.winners - w.orders} won claims had no order after ${FULFIL_WAIT_S} s`);
const summary = {
  claims_per_s: w.perSecond,
  p50_ms: w.p50,
  p99_ms: w.p99,
  errors: w.errors,
  winners: w.winners,
  stock: STOCK,
  oversold,
  reference_claims_per_s: ref?.perSecond ?? null,
  ratio: ref ? Math.round((w.perSecond / ref.perSecond) * 100) / 100 : null,
  // The harness's ceiling: the same connections, socket and route, answered at the route's first exit.
  ceiling_per_s: w.ceiling.perSecond,
  ceiling_ratio: Math.round((w.perSecond / Math.max(1, w.ceiling.perSecond)) * 100) / 100,
  ceiling_p99_ms: w.ceiling.p99,
  // workerd's own answer with no application code behind it, through the same harness: claims / bare is what the
  // application costs on top of the runtime; bare / reference is the runtime against Node's HTTP server; a claim p99
  // below the bare one is not reachable through this harness on this machine.
  bare_per_s: w.bare.perSecond,
  bare_p99_ms: w.bare.p99,
  bare_ratio: Math.round((w.perSecond / Math.max(1, w.bare.perSecond)) * 100) / 100,
  selling_p99_ms: w.phases.sellingP99,
  sold_out_p99_ms: w.phases.soldOutP99,
};
gate.report(summary);
process.exit(process.exitCode ?? 0);
