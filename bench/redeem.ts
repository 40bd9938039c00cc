/**
 * npm run bench:redeem [-- --vouchers 300 --concurrency 30 --racers 200 --url http://127.0.0.1:8787 --state .]
 *
 * On the local stack: buys `vouchers` store coupons as guests, then
 *  1. redeems each once with `concurrency` merchants in parallel (throughput, latency);
 *  2. fires `racers` concurrent redemptions at ONE fresh voucher (must be exactly one success);
 *  3. exports the tenant's provenance ledger and verifies the whole chain offline (the same code as verify:ledger).
 * Without --url it starts its own `npm start` stack on free ports. Prints figures, then one JSON line.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LedgerExport } from "../schema/ledger";
import { verifyChain } from "../worker/domain/ledger";
import { kaquanClient, must } from "../scripts/lib/api/client";
import { buyAsGuest } from "../scripts/lib/seed-redemption";
import { startStack, type Stack } from "../scripts/lib/stack";
import { loadGate } from "./lib/machine-load";

const gate = loadGate();

const { values: args } = parseArgs({
  options: {
    vouchers: { type: "string", default: "300" },
    concurrency: { type: "string", default: "30" },
    racers: { type: "string", default: "200" },
    url: { type: "string" },
    state: { type: "string", default: "." },
  },
});
const N = Number(args.vouchers);
const C = Number(args.concurrency);
const RACERS = Number(args.racers);

let stack: Stack | null = null;
let base = args.url;
let stateDir = args.state!;
if (!base) {
  // Every simulated buyer comes from 127.0.0.1: lift the per-IP order ceiling for this stack only.
  process.env.KAQUAN_ORDER_IP_LIMIT = "1000000";
  process.env.KAQUAN_SESSION_IP_LIMIT = "1000000";
  stateDir = mkdtempSync(join(tmpdir(), "kq-bench-redeem-"));
  process.stderr.write("starting a local stack… ");
  stack = await startStack(stateDir);
  base = stack.baseUrl;
  process.stderr.write(`${base}\n`);
}
try {
  const { keys } = JSON.parse(readFileSync(`${stateDir}/.kaquan/demo-keys.json`, "utf8")) as { keys: Record<string, string> };
  const admin = kaquanClient(base, keys.admin);
  const redeemer = kaquanClient(base, keys.redeemer);
  const redeem = (code: string) => redeemer.POST("/redemptions", { body: { code }, params: { header: { "idempotency-key": crypto.randomUUID() } } });

  const product = await must(admin.POST("/products", { body: {
    kind: "coupon", name: `压测券 ${new Date().toISOString()}`, priceCents: 1, faceValueCents: 500,
    validity: { kind: "relative", days: 30 }, scope: "压测用", stockTotal: N + 10, lowStockThreshold: 0,
    config: { coupon: { thresholdCents: 0, discountCents: 500 } },
  } }));
  await must(admin.POST("/products/{productId}/status", { params: { path: { productId: product.id } }, body: { status: "published" } }));

  async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<void>) {
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }));
  }
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

  process.stderr.write(`buying ${N + 1} coupons… `);
  const codes: string[] = [];
  await pool(Array.from({ length: N + 1 }, (_, i) => i), 20, async () => {
    const code = await buyAsGuest(base!, "demo", product.id);
    if (code) codes.push(code);
  });
  process.stderr.write(`${codes.length}\n`);
  if (codes.length < N + 1) process.stderr.write(`warning: only ${codes.length} of ${N + 1} purchases went through (per-IP order limit with --url?)\n`);
  const raceCode = codes.pop()!;

  const lat: number[] = [];
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  await pool(codes, C, async (code) => {
    const s = performance.now();
    const r = await redeem(code);
    lat.push(performance.now() - s);
    if (r.response.status === 200) ok++;
    else failed++;
  });
  const seconds = (performance.now() - t0) / 1000;

  const r0 = performance.now();
  const race = await Promise.all(
    Array.from({ length: RACERS }, () => redeem(raceCode)),
  );
  const raceMs = performance.now() - r0;
  const raceOk = race.filter((r) => r.response.status === 200).length;
  const raceAlready = race.filter((r) => r.response.status === 409 && (r.error as { error?: { code?: string } } | undefined)?.error?.code === "voucher_already_redeemed").length;

  const e0 = performance.now();
  const x = (await must(admin.GET("/ledger/export"))) as LedgerExport;
  const exportMs = performance.now() - e0;
  const v0 = performance.now();
  const report = await verifyChain(x.tenantId, x.entries, { checkpoints: x.checkpoints, head: x.head });
  const verifyMs = performance.now() - v0;

  const result = {
    bench: "redeem",
    vouchers: codes.length,
    concurrency: C,
    redeemed: ok,
    failed,
    redemptionsPerSecond: Math.round((ok / seconds) * 10) / 10,
    latencyMs: { p50: Math.round(pct(lat, 50)), p95: Math.round(pct(lat, 95)), p99: Math.round(pct(lat, 99)), max: Math.round(Math.max(...lat)) },
    race: { attempts: RACERS, succeeded: raceOk, alreadyRedeemed: raceAlready, wallMs: Math.round(raceMs) },
    ledger: { entries: x.entries.length, exportMs: Math.round(exportMs), verifyMs: Math.round(verifyMs), ok: report.ok },
  };
  console.log(`redeemed ${ok}/${codes.length} distinct vouchers with ${C} merchants in ${seconds.toFixed(1)} s: ${result.redemptionsPerSecond} redemptions/s`);
  console.log(`latency p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`);
  console.log(`race: ${RACERS} concurrent attempts on one voucher → ${raceOk} succeeded, ${raceAlready} "already redeemed" (${Math.round(raceMs)} ms)`);
  console.log(`ledger: ${x.entries.length} entries exported in ${Math.round(exportMs)} ms, whole chain verified offline in ${Math.round(verifyMs)} ms: ${report.ok ? "intact" : "BROKEN"}`);
  gate.report(result);
} finally {
  if (stack) {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
