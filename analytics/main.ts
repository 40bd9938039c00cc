import { serve } from "@hono/node-server";
import { loadDevVars } from "../scripts/lib/dev-vars";
import { createWarehouseApp } from "./app";
import { createWarehouseClient } from "./client";
import { clusterModeFromEnv } from "./cluster";
import { scheduleFunnelCompact } from "./funnel-compact";
import { setPersonsPerSlice } from "./metrics/person-slices";
import { schedulePersonMerges } from "./person-merges";
import { migrate } from "./migrate";

/** The warehouse process: owns the embedded ClickHouse data directory (or talks to CLICKHOUSE_URL). */
const vars = { ...loadDevVars(), ...process.env };
const port = Number(vars.WAREHOUSE_PORT ?? 8788);
const host = vars.WAREHOUSE_HOST ?? "127.0.0.1";
const ingestSecret = vars.WAREHOUSE_INGEST_SECRET;
const querySecret = vars.WAREHOUSE_QUERY_SECRET;
if (!ingestSecret || !querySecret) {
  console.error("WAREHOUSE_INGEST_SECRET and WAREHOUSE_QUERY_SECRET must be set (npm start writes them to .dev.vars)");
  process.exit(1);
}

const mode = clusterModeFromEnv(vars);
const { client, queryClient, embedded } = await createWarehouseClient({
  clickhouseUrl: vars.CLICKHOUSE_URL,
  clickhouseQueryUrl: vars.CLICKHOUSE_QUERY_URL,
  dataDir: vars.WAREHOUSE_DATA_DIR ?? ".data/clickhouse",
  mode,
});
// WAREHOUSE_SKIP_MIGRATIONS=1 when they run as their own step (npm run warehouse:migrate) before a deploy.
if (vars.WAREHOUSE_SKIP_MIGRATIONS !== "1") {
  const applied = await migrate(client, { mode });
  if (applied.length) console.log(`warehouse: applied ${applied.join(", ")}`);
}

// FUNNEL_COMPACT_EVERY_S=0 turns the funnel's compacted build off (the funnel then reads funnel_people alone).
const compactEveryS = Number(vars.FUNNEL_COMPACT_EVERY_S ?? 300);
const compaction = compactEveryS > 0 ? scheduleFunnelCompact(client, { everyMs: compactEveryS * 1000 }) : null;

// A guest attached to another buyer becomes that buyer in the warehouse (person-merges.ts): looked for every
// PERSON_MERGE_EVERY_S (0 = off), applied PERSON_MERGE_AFTER_S after the attachment (events in flight land first).
const mergeEveryS = Number(vars.PERSON_MERGE_EVERY_S ?? 60);
const merges = mergeEveryS > 0 ? schedulePersonMerges(client, { everyMs: mergeEveryS * 1000, minAgeMs: Number(vars.PERSON_MERGE_AFTER_S ?? 120) * 1000 }) : null;

// Queries that group every person of a tenant run in slices of about this many people (metrics/person-slices.ts).
if (vars.ANALYTICS_PERSONS_PER_SLICE) setPersonsPerSlice(Number(vars.ANALYTICS_PERSONS_PER_SLICE));

const app = createWarehouseApp({ client, queryClient, ingestSecret, querySecret, embedded, funnelCompact: compaction?.status, personMerges: merges?.status });
const server = serve({ fetch: app.fetch, port, hostname: host }, () => {
  console.log(`warehouse: ${embedded ? "embedded chdb" : "ClickHouse server"} on http://${host}:${port}`);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close();
  compaction?.stop();
  merges?.stop();
  await client.close().catch(() => undefined);
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
