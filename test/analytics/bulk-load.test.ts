import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { generateEvents, generateViaFile } from "../../analytics/generate";
import { runMetric } from "../../analytics/metrics";
import { select } from "../../analytics/metrics/metric";
import { METRIC_NAMES } from "../../schema/analytics";
import { useWarehouse } from "./metric-harness";

/*
 * Past 2M events the load writes more than one 1M-row block per insert thread, so a user's events land in several.
 * The bulk-load path (bench:analytics) loads without collapsing blocks on insert and folds the profile view at the end.
 * Loaded that way, the same generated events must be stored once each, leave one profile per user, and answer every
 * dashboard query exactly as when they are inserted by the plain path (generateEvents: default insert settings).
 */
const wh = useWarehouse([]);
const FILE = `.test-bulk-${process.pid}.native`; // chdb's file() writes relative to the cwd
afterAll(() => rmSync(FILE, { force: true }));

const shape = { events: 2_200_000, users: 220_000, days: 90, end: new Date(Date.UTC(2026, 10, 1)) };

describe("bulk load", () => {
  it("stores every event once, one profile per user, and answers as the plain insert does", async () => {
    const client = wh.client();
    await generateViaFile(client, { ...shape, tenantId: "bulk" }, FILE);
    await generateEvents(client, { ...shape, tenantId: "plain" });
    const tenant = { tenant: "bulk" };

    const events = await select(client, "SELECT count() AS n, uniqExact(event_id) AS ids FROM events WHERE tenant_id = {tenant:String}", tenant);
    expect(events).toEqual([{ n: shape.events, ids: shape.events }]);
    // Not merged away later: the profiles are folded by the load itself (a query right after sees one row per user).
    const profiles = await select(client, "SELECT count() AS n, uniqExact(user_key) AS users FROM user_profiles WHERE tenant_id = {tenant:String}", tenant);
    expect(profiles).toEqual([{ n: shape.users, users: shape.users }]);

    const params = { from: "2026-08-03T00:00:00.000Z", to: "2026-11-01T00:00:00.000Z" };
    for (const name of METRIC_NAMES) {
      const bulk = await runMetric(client, "bulk", name, params);
      const plain = await runMetric(client, "plain", name, params);
      expect(bulk.rows, name).toEqual(plain.rows);
      if (["retention", "retention_matrix", "ltv", "funnel", "kfactor", "growth"].includes(name)) expect(bulk.rows.length, name).toBeGreaterThan(0);
    }
  }, 120_000);
});
