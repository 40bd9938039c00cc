/**
 * No ClickHouse server can be installed on these machines, so server compatibility is kept by construction: every
 * statement the warehouse sends (migrations in their cluster form, ingest, health, every metric, the bulk generator)
 * is recorded here with its settings, parsed by ClickHouse, and checked against ClickHouse's own record of when each
 * function (system.functions.introduced_in) and setting (system.settings_changes) appeared: nothing newer than
 * MIN_CLICKHOUSE_VERSION may be used.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWarehouseApp } from "../../analytics/app";
import { createWarehouseClient } from "../../analytics/client";
import { exportEventsPage } from "../../analytics/export";
import { buildFunnelCompact, funnelCompactDue, pruneFunnelCompact } from "../../analytics/funnel-compact";
import { applyRetention, rekeyUser, userEvents } from "../../analytics/privacy";
import { BULK_INSERT_SETTINGS, generateEvents } from "../../analytics/generate";
import { ingestEvents } from "../../analytics/ingest";
import { runMetric } from "../../analytics/metrics";
import { PERSONS_PER_SLICE, setPersonsPerSlice } from "../../analytics/metrics/person-slices";
import { computeSegmentPage, previewSegment } from "../../analytics/segments/compute";
import { WarehouseSegmentRules } from "../../schema/segments";
import { computeRecommendations } from "../../analytics/recommendations/co-purchase";
import { migrate } from "../../analytics/migrate";
import { MIN_CLICKHOUSE_VERSION, serverInsertSettings } from "../../analytics/settings";
import { METRIC_NAMES } from "../../schema/analytics";
import { buildEvent } from "../../worker/queue/emit";
import { clusterOnEmbedded, TEST_CLUSTER } from "./cluster-client";

type Sent = { sql: string | null; settings: Record<string, unknown> };
const sent: Sent[] = [];
let dir: string;
let raw: ClickHouseClient;

/** Records every statement and its settings on its way to the engine. */
function recording(client: ClickHouseClient): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "command" && prop !== "query" && prop !== "insert" && prop !== "exec") return Reflect.get(target, prop, receiver);
      return (p: { query?: string; clickhouse_settings?: Record<string, unknown> }) => {
        sent.push({ sql: p.query ?? null, settings: p.clickhouse_settings ?? {} });
        return (target as never as Record<string, (x: unknown) => unknown>)[prop as string]!.call(target, p);
      };
    },
  });
}

const versionNum = (v: string) => {
  const [a = 0, b = 0] = v.split(".").map(Number);
  return a * 1000 + b;
};
const MIN = versionNum(MIN_CLICKHOUSE_VERSION);

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await raw.query({ query, query_params: params, format: "JSONEachRow" });
  return rs.json<T>();
}

let functions: Map<string, string>;
let combinators: string[];
let settingsKnown: Set<string>;
let settingIntroduced: Map<string, string>;

/** Functions a statement calls (name followed by "("), as ClickHouse knows them, with the version each appeared in. */
function calledFunctions(sql: string): { name: string; introducedIn: string }[] {
  const found: { name: string; introducedIn: string }[] = [];
  for (const m of sql.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    let name = m[1]!;
    let known = functions.get(name) ?? functions.get(name.toLowerCase());
    // Aggregate combinators: groupUniqArrayArray = groupUniqArray + Array, countIf = count + If …
    for (let guard = 0; known === undefined && guard < 3; guard++) {
      const c = combinators.find((k) => name.endsWith(k) && functions.has(name.slice(0, -k.length)));
      if (!c) break;
      name = name.slice(0, -c.length);
      known = functions.get(name);
    }
    if (known !== undefined) found.push({ name, introducedIn: known });
  }
  return found;
}

const tooNew = (v: string) => v !== "" && versionNum(v) > MIN;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kaquan-sqlcompat-"));
  ({ client: raw } = await createWarehouseClient({ dataDir: dir }));
  functions = new Map();
  for (const f of await rows<{ name: string; introduced_in: string; case_insensitive: number }>("SELECT name, introduced_in, case_insensitive FROM system.functions")) {
    functions.set(f.case_insensitive ? f.name.toLowerCase() : f.name, f.introduced_in);
  }
  combinators = (await rows<{ name: string }>("SELECT name FROM system.aggregate_function_combinators")).map((c) => c.name).sort((a, b) => b.length - a.length);
  settingsKnown = new Set((await rows<{ name: string }>("SELECT name FROM system.settings")).map((s) => s.name));
  settingIntroduced = new Map();
  const changes = await rows<{ version: string; name: string; reason: string }>(
    "SELECT version, c.1 AS name, c.4 AS reason FROM system.settings_changes ARRAY JOIN changes AS c ORDER BY version",
  );
  for (const c of changes.sort((a, b) => versionNum(a.version) - versionNum(b.version))) {
    if (!settingIntroduced.has(c.name) && /new setting|add(ed)? (a )?(new )?setting|introduc/i.test(c.reason)) settingIntroduced.set(c.name, c.version);
  }

  // Everything the warehouse sends, on the cluster form of the migrations.
  const client = recording(raw);
  await migrate(clusterOnEmbedded(client, (sql) => void sent.push({ sql, settings: {} })), { mode: TEST_CLUSTER });
  const e = buildEvent({ tenantId: "tA", type: "order_paid", actor: { userId: "u1" }, payload: { orderId: "o1", amountCents: 100 } });
  await ingestEvents(client, [e]);
  sent.push({ sql: null, settings: serverInsertSettings("token") }); // the server path's insert (async inserts)
  sent.push({ sql: null, settings: { ...BULK_INSERT_SETTINGS, engine_file_truncate_on_insert: 1 } }); // bench/backfill bulk load
  await createWarehouseApp({ client, ingestSecret: "s", querySecret: "q", embedded: true }).request("/health");
  for (const name of METRIC_NAMES) await runMetric(client, "tA", name, { from: "2026-09-01", to: "2026-10-01" });
  // Member vs non-member cohorts add a join; the bucketed membership views a bucket expression per unit.
  for (const name of ["retention", "ltv"] as const) await runMetric(client, "tA", name, { from: "2026-09-01", to: "2026-10-01", segment: "members" });
  for (const bucket of ["day", "month"]) await runMetric(client, "tA", "points", { from: "2026-09-01", to: "2026-10-01", bucket });
  // Segments: every rule in one query (each rule adds its own WHERE fragment), a page and a preview.
  const rules = WarehouseSegmentRules.parse({ recencyDays: { min: 1, max: 90 }, frequency: { min: 1, max: 9 }, monetaryCents: { min: 1, max: 9 }, dormantDays: 3, viewedNotBought: { days: 7, productIds: ["p"] }, highLtv: { topPercent: 10 } });
  await computeSegmentPage(client, { tenantId: "tA", rules, asOf: "2026-10-01T00:00:00.000Z", after: "", limit: 10 });
  await previewSegment(client, { tenantId: "tA", rules: WarehouseSegmentRules.parse({ highLtv: { minCents: 5 } }), asOf: "2026-10-01T00:00:00.000Z" });
  await computeRecommendations(client, { tenantId: "tA", limit: 8, days: 180, maxUsers: 100 });
  await exportEventsPage(client, { tenantId: "tA", from: "2026-09-01T00:00:00.000Z", to: "2026-10-01T00:00:00.000Z", after: { at: "2026-09-02T00:00:00.000Z", id: "ev_x" }, limit: 10 });
  await userEvents(client, { tenantId: "tA", userIds: ["u1"], limit: 10 });
  await rekeyUser(client, { tenantId: "tA", userIds: ["u1"], deviceIds: ["d1"], pseudonym: "anon_0123456789" });
  await ingestEvents(client, [buildEvent({ tenantId: "tA", type: "page_view", occurredAt: new Date(Date.UTC(2026, 0, 1)) })]);
  await applyRetention(client, { tenantId: "tA", days: 1 }); // deletes that old view
  await generateEvents(client, { tenantId: "tG", events: 1_000, users: 100, days: 7, end: new Date(Date.UTC(2026, 10, 1)) });
  // The funnel's compacted build: the build, the look whether one is due, the prune, and the funnel reading it.
  const now = new Date(Date.UTC(2026, 10, 2));
  await funnelCompactDue(client, now);
  await buildFunnelCompact(client, now);
  await funnelCompactDue(client, now);
  await pruneFunnelCompact(client);
  await runMetric(client, "tG", "funnel", { from: "2026-10-01", to: "2026-11-01T12:00:00Z" });
  await runMetric(client, "tG", "funnel", { from: "2026-10-01", to: "2026-11-01T12:00:00Z", campaignId: "c1" });
  // A tenant with many people: the person-grouping queries in slices of the person keys.
  setPersonsPerSlice(10);
  for (const name of ["funnel", "retention", "retention_matrix", "ltv", "growth", "redemption"] as const) await runMetric(client, "tG", name, { from: "2026-10-01", to: "2026-11-01T12:00:00Z" });
  await runMetric(client, "tG", "funnel", { from: "2026-10-01", to: "2026-11-01T12:00:00Z", campaignId: "c1" });
  setPersonsPerSlice(PERSONS_PER_SLICE);
}, 120_000);

afterAll(async () => {
  await raw.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe(`every statement the warehouse sends runs on ClickHouse ${MIN_CLICKHOUSE_VERSION}`, () => {
  it("records what it checks: migrations (cluster form), ingest, health, every metric, the event export, privacy requests, the generator", () => {
    const sqls = sent.map((s) => s.sql ?? "").join("\n");
    expect(sqls).toMatch(/ON CLUSTER 'kaquan'/);
    expect(sqls).toMatch(/ENGINE = ReplicatedReplacingMergeTree/);
    expect(sqls).toMatch(/windowFunnel/);
    expect(sqls).toMatch(/INSERT INTO funnel_compact/);
    expect(sqls).toMatch(/BETWEEN \{lo:UInt64\} AND \{hi:UInt64\}/);
    expect(sqls).toMatch(/LIMIT 1 BY event_id/);
    expect(sqls).toMatch(/ALTER TABLE events UPDATE/);
    expect(sqls).toMatch(/DELETE FROM events WHERE/);
    expect(sent.filter((s) => s.sql).length).toBeGreaterThan(30);
  });

  it("ClickHouse parses each statement as sent (cluster clauses and replicated engines included)", async () => {
    const failed: string[] = [];
    for (const { sql } of sent) {
      if (!sql) continue;
      try {
        await rows("SELECT formatQuery({q:String}) AS f", { q: sql });
      } catch (e) {
        failed.push(`${sql.slice(0, 120)} → ${String(e).slice(0, 160)}`);
      }
    }
    expect(failed).toEqual([]);
  });

  it(`calls no function newer than ${MIN_CLICKHOUSE_VERSION}`, () => {
    const newer = sent.flatMap(({ sql }) => (sql ? calledFunctions(sql) : [])).filter((f) => tooNew(f.introducedIn));
    expect(newer).toEqual([]);
    // The check can fail: a function ClickHouse records as newer than the minimum is caught.
    const recent = [...functions.entries()].find(([, v]) => tooNew(v));
    if (recent) expect(calledFunctions(`SELECT ${recent[0]}(1)`).filter((f) => tooNew(f.introducedIn))).toHaveLength(1);
    expect(calledFunctions("SELECT countIf(x = 1), groupUniqArrayArray(d) FROM t").map((f) => f.name)).toEqual(["count", "groupUniqArray"]);
  });

  it(`uses no setting unknown to ClickHouse or introduced after ${MIN_CLICKHOUSE_VERSION}`, () => {
    const names = new Set(sent.flatMap((s) => Object.keys(s.settings)));
    expect([...names].length).toBeGreaterThan(3);
    const unknown = [...names].filter((n) => !settingsKnown.has(n));
    const newer = [...names].filter((n) => tooNew(settingIntroduced.get(n) ?? "")).map((n) => `${n} (${settingIntroduced.get(n)})`);
    expect(unknown).toEqual([]);
    expect(newer).toEqual([]);
    // The check can fail: a setting recorded as new after the minimum is caught.
    const recent = [...settingIntroduced.entries()].find(([, v]) => tooNew(v));
    expect(recent).toBeDefined();
  });
});
