/**
 * Bulk synthetic events for benchmarks and big demos, generated inside ClickHouse.
 *   npx tsx scripts/generate-events.ts --tenant <id> [--events 10000000] [--users 1000000] [--days 90]
 *       [--data-dir .data/clickhouse | --clickhouse-url http://...]
 * The embedded data directory has one owner: stop the warehouse (npm start) first, or point at a server.
 */
import { parseArgs } from "node:util";
import { createWarehouseClient } from "../analytics/client";
import { generateEvents } from "../analytics/generate";
import { migrate } from "../analytics/migrate";

const { values } = parseArgs({
  options: {
    tenant: { type: "string" },
    events: { type: "string", default: "10000000" },
    users: { type: "string", default: "1000000" },
    days: { type: "string", default: "90" },
    "data-dir": { type: "string", default: ".data/clickhouse" },
    "clickhouse-url": { type: "string" },
    prefix: { type: "string", default: `g${Date.now().toString(36)}-` },
  },
});
if (!values.tenant) {
  console.error("usage: npx tsx scripts/generate-events.ts --tenant <tenant id> [--events N] [--users N] [--days N]");
  process.exit(2);
}
const { client } = await createWarehouseClient({ clickhouseUrl: values["clickhouse-url"], dataDir: values["data-dir"]! });
await migrate(client);
const r = await generateEvents(client, {
  tenantId: values.tenant,
  events: Number(values.events),
  users: Number(values.users),
  days: Number(values.days),
  end: new Date(),
  idPrefix: values.prefix,
});
console.log(`generated ${r.rows} events in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.rows / (r.ms / 1000))} rows/s)`);
await client.close();
