import { serve } from "@hono/node-server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWarehouseApp } from "../../analytics/app";
import { createWarehouseClient } from "../../analytics/client";
import { migrate } from "../../analytics/migrate";
import type { TestProject } from "vitest/node";

/** A real warehouse (embedded ClickHouse) for the worker tests' queue consumer to deliver to. */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "kaquan-wh-"));
  const { client } = await createWarehouseClient({ dataDir });
  await migrate(client);
  const app = createWarehouseApp({ client, ingestSecret: "test-ingest-secret", querySecret: "test-query-secret", embedded: true });
  // Lets tests query what arrived (one tenant, optionally one type), without a second chdb owner.
  app.get("/test/count", async (c) => {
    const rs = await client.query({
      query: "SELECT count() AS n FROM events FINAL WHERE tenant_id = {t:String} AND ({type:String} = '' OR type = {type:String})",
      query_params: { t: c.req.query("tenant") ?? "", type: c.req.query("type") ?? "" },
      format: "JSONEachRow",
    });
    return c.json((await rs.json<{ n: number }>())[0]);
  });
  // The events of one tenant (optionally one type) with their lifted columns, oldest first.
  app.get("/test/events", async (c) => {
    const rs = await client.query({
      query: `SELECT event_id AS eventId, type, user_id AS userId, device_id AS deviceId, referrer_id AS referrerId, campaign_id AS campaignId,
                     acquisition_campaign_id AS acquisitionCampaignId, cost_cents AS costCents, origin, payload
              FROM events FINAL WHERE tenant_id = {t:String} AND ({type:String} = '' OR type = {type:String}) ORDER BY occurred_at, event_id`,
      query_params: { t: c.req.query("tenant") ?? "", type: c.req.query("type") ?? "" },
      format: "JSONEachRow",
    });
    return c.json(await rs.json());
  });
  const port = Number(process.env.KAQUAN_TEST_WAREHOUSE_PORT);
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  project.provide("warehouseUrl", `http://127.0.0.1:${port}`);
  return async () => {
    server.close();
    await client.close();
    // chdb's background merges may still be writing parts for a moment after close.
    try { rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); } catch { /* a leftover temp dir is harmless */ }
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    warehouseUrl: string;
  }
}
