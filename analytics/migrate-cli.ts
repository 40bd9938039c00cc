/**
 * npm run warehouse:migrate — applies the ClickHouse migrations as their own step (before starting warehouse
 * processes with WAREHOUSE_SKIP_MIGRATIONS=1). Same env as the warehouse: CLICKHOUSE_URL (or WAREHOUSE_DATA_DIR for
 * the embedded engine), CLICKHOUSE_CLUSTER, CLICKHOUSE_CLOUD. Exits 1 on a changed past migration or a held lock.
 */
import { loadDevVars } from "../scripts/lib/dev-vars";
import { createWarehouseClient } from "./client";
import { clusterModeFromEnv } from "./cluster";
import { migrate } from "./migrate";

const vars = { ...loadDevVars(), ...process.env };
const mode = clusterModeFromEnv(vars);
const { client } = await createWarehouseClient({ clickhouseUrl: vars.CLICKHOUSE_URL, dataDir: vars.WAREHOUSE_DATA_DIR ?? ".data/clickhouse", mode });
try {
  const applied = await migrate(client, { mode });
  console.log(applied.length ? `applied ${applied.join(", ")}` : "nothing to apply: the warehouse is up to date");
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await client.close();
}
