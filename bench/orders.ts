/**
 * npm run bench:orders [-- --buyers 500 --concurrency 10 --url http://127.0.0.1:8787 --state .]
 *
 * Concurrent buyers on the local stack: each places a guest order for a card key, pays on the sandbox gateway
 * (which posts the signed callback to the worker), then reads the order until the key is visible. Latency is
 * measured, as the issue asks, from the gateway posting the callback (it reports when) to the key being visible to
 * the buyer; the buyer's whole pay click → key visible is printed too. Afterwards every key
 * seen is checked for double delivery. Without --url it starts its own `npm start` stack on free ports.
 * Prints figures, then one JSON line.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiClient } from "../scripts/lib/http";
import { startStack, type Stack } from "../scripts/lib/stack";

const { values: args } = parseArgs({
  options: {
    buyers: { type: "string", default: "500" },
    concurrency: { type: "string", default: "10" },
    url: { type: "string" },
    state: { type: "string", default: "." },
  },
});
const BUYERS = Number(args.buyers);
const CONCURRENCY = Number(args.concurrency);

let stack: Stack | null = null;
let base = args.url;
let stateDir = args.state!;
if (!base) {
  stateDir = mkdtempSync(join(tmpdir(), "kq-bench-orders-"));
  // Every simulated buyer comes from 127.0.0.1: lift the per-IP order ceiling for this stack only.
  process.env.KAQUAN_ORDER_IP_LIMIT = "1000000";
  process.env.KAQUAN_SESSION_IP_LIMIT = "1000000";
  process.stderr.write("starting a local stack… ");
  stack = await startStack(stateDir);
  base = stack.baseUrl;
  process.stderr.write(`${base}\n`);
}
const { keys } = JSON.parse(readFileSync(`${stateDir}/.kaquan/demo-keys.json`, "utf8")) as { keys: Record<string, string> };
const admin = new ApiClient(base, keys.admin);
const slug = "demo";

// A fresh product holding exactly one key per buyer.
const product = await admin.ok<{ id: string }>("POST", "/products", {
  kind: "card_key", name: `压测卡 ${new Date().toISOString()}`, priceCents: 990, faceValueCents: 1000,
  validity: { kind: "relative", days: 30 }, scope: "压测用", lowStockThreshold: 0,
});
for (let i = 0; i < BUYERS; i += 1000) {
  const rows = Array.from({ length: Math.min(1000, BUYERS - i) }, (_, j) => ({ line: i + j + 1, secret: `BENCH-${product.id}-${i + j}` }));
  await admin.ok("POST", `/products/${product.id}/keys/import`, { rows });
}
await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });

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
const secrets: string[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let next = 0;
const count = (k: string) => (statuses[k] = (statuses[k] ?? 0) + 1);

async function buyer() {
  for (;;) {
    const i = next++;
    if (i >= BUYERS) return;
    try {
      const o = await call("POST", `/api/v1/shop/${slug}/orders`, { idem: `bench-${product.id}-${i}`, body: { productId: product.id } });
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
      secrets.push(visible);
    } catch (e) {
      errors++;
      count(`exception ${e instanceof Error ? e.message : e}`);
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: CONCURRENCY }, buyer));
const seconds = (performance.now() - started) / 1000;

const percentile = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 10) / 10;
};
const pct = percentile(latencies);
const click = percentile(clickLatencies);
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
const stock = await admin.ok<{ available: number; reserved: number; delivered: number }>("GET", `/products/${product.id}/stock`);
// Keep a shared demo catalog clean when run against an existing stack.
await admin.ok("POST", `/products/${product.id}/status`, { status: "archived" });
const result = {
  orders_per_s: Math.round((latencies.length / seconds) * 10) / 10,
  p50_ms: pct(0.5),
  p95_ms: pct(0.95),
  p99_ms: pct(0.99),
  double_delivered: doubled + Math.max(0, stock.delivered - owner.size),
  errors,
};
console.log(`buyers ${BUYERS}, concurrency ${CONCURRENCY}, ${seconds.toFixed(1)} s wall, ${latencies.length} keys delivered`);
console.log(`payment callback → key visible: p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, p99 ${result.p99_ms} ms`);
console.log(`buyer's pay click (sandbox gateway route, callback, answer) → key visible: p50 ${click(0.5)} ms, p95 ${click(0.95)} ms, p99 ${click(0.99)} ms`);
console.log(`stock after: ${JSON.stringify(stock)}; statuses: ${JSON.stringify(statuses)}`);
if (stack) {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
