/**
 * npm run bench:analytics — the warehouse at benchmark size, on this machine.
 *  1. bulk: 10M synthetic events (1M users, 90 days) generated into embedded ClickHouse (INSERT … SELECT);
 *  2. every dashboard query over the whole span, median of 5 runs, once the load's background merges have finished
 *     (BENCH_SETTLE_MAX_S, default 900, bounds the wait; the line reports it as merges_settled_s) and the funnel's
 *     compacted build was made (funnel_compact_s; the funnel is also timed before the build, funnel_uncompacted_ms);
 *  3. streaming: events posted to the real local stack (worker /events/import → Queue → consumer → warehouse
 *     /v1/ingest), timed until the warehouse holds all of them.
 * Flags: --events N (10000000) and --users N (a tenth of the events), for the cost curve at 1M / 10M / 100M.
 * Env: BENCH_EVENTS, BENCH_USERS (as the flags), BENCH_STREAM_EVENTS (200000), BENCH_SKIP_STREAM=1,
 * BENCH_BULK_ORDER=time|shuffled (time: the bulk file is in time order, as an event log's export is).
 * Ends with one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createWarehouseClient } from "../analytics/client";
import { buildFunnelCompact } from "../analytics/funnel-compact";
import { generateEvents, generateViaFile } from "../analytics/generate";
import { runMetric } from "../analytics/metrics";
import { migrate } from "../analytics/migrate";
import { METRIC_NAMES } from "../schema/analytics";
import { streamThroughput } from "./lib/stream";
import { loadGate } from "./lib/machine-load";

const gate = loadGate();

const { values: flags } = parseArgs({ options: { events: { type: "string" }, users: { type: "string" } } });
const EVENTS = Number(flags.events ?? process.env.BENCH_EVENTS ?? 10_000_000);
const USERS = Number(flags.users ?? process.env.BENCH_USERS ?? Math.max(1, Math.round(EVENTS / 10)));
if (!Number.isSafeInteger(EVENTS) || EVENTS < 1000 || !Number.isSafeInteger(USERS) || USERS < 1 || USERS > EVENTS) {
  console.error("bench:analytics: --events must be an integer ≥ 1000 and --users an integer from 1 to the events");
  process.exit(2);
}
const DAYS = 90;
const RUNS = 5;
const TENANT = "bench-tenant";
const BULK_ORDER = process.env.BENCH_BULK_ORDER === "shuffled" ? "shuffled" : "time";
const BULK_FILE = `.bench-analytics-${process.pid}.native`; // chdb's file() reads and writes relative to the cwd

const SETTLE_MAX_S = Number(process.env.BENCH_SETTLE_MAX_S ?? 900);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), "kaquan-bench-analytics-"));
const { client } = await createWarehouseClient({ dataDir: dir });
try {
  await migrate(client);
  const end = new Date(Date.UTC(2026, 10, 1));
  console.log(`bulk: generating ${EVENTS.toLocaleString()} events for ${USERS.toLocaleString()} users over ${DAYS} days…`);
  const gen = await generateViaFile(client, { tenantId: TENANT, events: EVENTS, users: USERS, days: DAYS, end }, BULK_FILE, BULK_ORDER);
  rmSync(BULK_FILE, { force: true });
  const ingestRowsPerS = Math.round(EVENTS / (gen.loadMs / 1000));
  console.log(`bulk: generated into a Native file (${BULK_ORDER} order) in ${(gen.generateMs / 1000).toFixed(2)} s; loaded (INSERT … FROM file()) in ${(gen.loadMs / 1000).toFixed(2)} s → ${ingestRowsPerS.toLocaleString()} rows/s`);
  // A second, unrelated tenant of the same size would double the table; a small one checks the tenant prefix prunes.
  await generateEvents(client, { tenantId: "other-tenant", events: 100_000, users: 10_000, days: DAYS, end, idPrefix: "o" });
  // Queries are timed on the table at rest: right after a bulk load the engine is still merging its parts on the same
  // two cores (a 100M load merged for minutes, and the first queries ran 2-3x slower beside it).
  const settleS = await mergesSettled(client, SETTLE_MAX_S);
  console.log(`bulk: background merges ${settleS === null ? `still running after ${SETTLE_MAX_S} s; timing anyway` : `finished ${settleS} s after the load`}`);
  const params = { from: new Date(end.getTime() - DAYS * 86_400_000).toISOString(), to: end.toISOString() };
  // The reference for the funnel's build, in the same run: the funnel before any build reads funnel_people alone.
  const uncompacted: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await runMetric(client, TENANT, "funnel", params);
    uncompacted.push(performance.now() - t);
  }
  const funnelUncompactedMs = Math.round(median(uncompacted));
  console.log(`query funnel before the build median ${funnelUncompactedMs} ms  (runs ${uncompacted.map((x) => Math.round(x)).join(", ")})`);
  // The warehouse process builds the funnel's compacted copy of closed days on its own schedule; the bulk is all closed
  // days, so it is built once here, as that schedule would (analytics/funnel-compact.ts).
  const compact = await buildFunnelCompact(client);
  console.log(`bulk: funnel compacted: ${compact.rawRows.toLocaleString()} rows → ${compact.rows.toLocaleString()} in ${(compact.ms / 1000).toFixed(1)} s`);

  const queries: Record<string, number> = {};
  for (const name of METRIC_NAMES) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      rows = (await runMetric(client, TENANT, name, params)).rows.length;
      times.push(performance.now() - t);
    }
    queries[name] = Math.round(median(times));
    console.log(`query ${name.padEnd(17)} median ${String(queries[name]).padStart(5)} ms  (runs ${times.map((x) => Math.round(x)).join(", ")}; ${rows} rows)`);
  }
  await client.close();
  rmSync(dir, { recursive: true, force: true });

  let streamEventsPerS: number | null = null;
  if (!["1", "true"].includes(process.env.BENCH_SKIP_STREAM ?? "")) {
    const s = await streamThroughput(Number(process.env.BENCH_STREAM_EVENTS ?? 200_000));
    streamEventsPerS = s.eventsPerS;
    console.log(`stream: ${s.events.toLocaleString()} events worker → queue → warehouse in ${(s.ms / 1000).toFixed(1)} s → ${s.eventsPerS.toLocaleString()} events/s (enqueue alone ${s.enqueuePerS.toLocaleString()}/s)`);
  }
  gate.report({ events: EVENTS, users: USERS, ingest_rows_per_s: ingestRowsPerS, merges_settled_s: settleS, funnel_compact_s: compact.ms / 1000, funnel_uncompacted_ms: funnelUncompactedMs, stream_events_per_s: streamEventsPerS, queries });
} catch (e) {
  rmSync(BULK_FILE, { force: true });
  await client.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  throw e;
}

/** Seconds until the engine has no merge running (polled each second), or null after `maxS`. */
async function mergesSettled(c: typeof client, maxS: number): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < maxS * 1000) {
    const [row] = await (await c.query({ query: "SELECT count() AS n FROM system.merges", format: "JSONEachRow" })).json<{ n: string | number }>();
    if (Number(row?.n ?? 0) === 0) return Math.round((performance.now() - started) / 1000);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return null;
}
