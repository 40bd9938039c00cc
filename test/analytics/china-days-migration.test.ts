import type { ClickHouseClient } from "@clickhouse/client";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createWarehouseClient } from "../../analytics/client";
import { rewriteForCluster } from "../../analytics/cluster";
import { ingestEvents } from "../../analytics/ingest";
import { runMetric } from "../../analytics/metrics";
import { BUSINESS_TZ } from "../../analytics/metrics/buckets";
import { migrate, splitStatements } from "../../analytics/migrate";
import { buildEvent } from "../../worker/queue/emit";
import { clusterOnEmbedded, TEST_CLUSTER } from "./cluster-client";
import { at, ev } from "./metric-harness";

// A warehouse upgraded in place: its profiles hold UTC active days (0005/0006) until 0021 re-derives them as China
// days, from the events still held, keeping the days whose raw events retention has deleted.
const REAL = fileURLToPath(new URL("../../schema/clickhouse/", import.meta.url));
const MIGRATION = "0021_user_profiles_china_days.sql";
const cluster = process.env.KAQUAN_TEST_CLUSTER === "1";
let dir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kaquan-china-days-"));
  ({ client } = await createWarehouseClient({ dataDir: join(dir, "ch") }));
});
afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const cn = (monthDay: string, hour: number, minute = 0) =>
  new Date(`2026-${monthDay}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00+08:00`);
const migrateAll = (dirOf?: string) =>
  cluster ? migrate(clusterOnEmbedded(client), { dir: dirOf, mode: TEST_CLUSTER }) : migrate(client, { dir: dirOf });
const ingest = (events: ReturnType<typeof ev>[]) =>
  ingestEvents(client, events.map((f) => buildEvent({ tenantId: "tA", ...f } as Parameters<typeof buildEvent>[0])));
const range = { from: "2026-08-01T00:00:00+08:00", to: "2026-10-01T00:00:00+08:00" };
const retention = async () =>
  ((await runMetric(client, "tA", "retention", range)).rows as { cohort: string; users: number; d1: number | null }[]).map((r) => [r.cohort, r.users, r.d1]);
const days = async () =>
  (await (await client.query({
    query: `SELECT transform(user_key, [cityHash64('uA'), cityHash64('uE'), cityHash64('uF')], ['uA', 'uE', 'uF'], 'other') AS who,
                   arrayMap(d -> toString(d), arraySort(groupUniqArrayArray(active_days_cn))) AS days
            FROM user_profiles WHERE tenant_id = 'tA' GROUP BY user_key ORDER BY who`,
    format: "JSONEachRow",
  })).json()) as { who: string; days: string[] }[];

it(`${MIGRATION} re-derives held profiles as China days and keeps the days retention deleted`, async () => {
  const before = join(dir, "before") + "/";
  mkdirSync(before);
  for (const f of readdirSync(REAL).filter((f) => f < MIGRATION)) copyFileSync(REAL + f, before + f);
  await migrateAll(before);
  await ingest([
    // uF: every event before the retention cutoff (09-05): only its profile is left. 18:00 China time = the UTC date.
    ev("user_signed_up", "uF", at("08-20")),
    ev("page_view", "uF", at("08-21")),
    // uE: its sign-up and day 1 go with retention, its 09-10 view stays.
    ev("user_signed_up", "uE", at("09-01")),
    ev("page_view", "uE", at("09-02")),
    ev("page_view", "uE", at("09-10")),
    // uA: signs up Monday 09-14 07:00 China time (UTC: Sunday 09-13), active 23:30 on its China day 1.
    ev("user_signed_up", "uA", cn("09-14", 7)),
    ev("page_view", "uA", cn("09-15", 23, 30)),
  ]);
  // Retention deletes raw events (analytics/privacy.ts applyRetention); user_profiles stays.
  for (const table of ["events", "ltv_people", "funnel_people", "redemption_vouchers"]) {
    await client.command({ query: `DELETE FROM ${table} WHERE tenant_id = 'tA' AND occurred_at < '2026-09-05 00:00:00'`, clickhouse_settings: { mutations_sync: "2" } });
  }

  expect((await migrateAll())[0]).toBe(MIGRATION); // and any later ones
  const expected = [
    { who: "uA", days: ["2026-09-14", "2026-09-15"] }, // UTC: 09-13, 09-15
    { who: "uE", days: ["2026-09-01", "2026-09-02", "2026-09-10"] },
    { who: "uF", days: ["2026-08-20", "2026-08-21"] },
  ];
  expect(await days()).toEqual(expected);
  const china = [["2026-08-17", 1, 1], ["2026-08-31", 1, 1], ["2026-09-14", 1, 1]];
  expect(await retention()).toEqual(china);
  // The old column is gone: nothing reads or writes UTC days any more.
  const cols = await (await client.query({ query: "SELECT name FROM system.columns WHERE table = 'user_profiles' AND name LIKE 'active_days%'", format: "JSONEachRow" })).json();
  expect(cols).toEqual([{ name: "active_days_cn" }]);

  // Run again, as after a crash before the migration was recorded (even after its last statement): nothing changes.
  const run = cluster ? clusterOnEmbedded(client) : client;
  for (const s of splitStatements(readFileSync(REAL + MIGRATION, "utf8"))) await run.command({ query: rewriteForCluster(s, cluster ? TEST_CLUSTER : { cluster: null, cloud: false }) });
  expect(await days()).toEqual(expected);
  expect(await retention()).toEqual(china);

  // Events arriving after it get China days from the view: uG signs up Monday 09-21 06:00 China time, is back 22:00.
  await ingest([ev("user_signed_up", "uG", cn("09-21", 6)), ev("page_view", "uG", cn("09-22", 22))]);
  expect(await retention()).toEqual([...china, ["2026-09-21", 1, 1]]);
});

it(`${MIGRATION} uses the dashboard's business time zone`, () => {
  const sql = readFileSync(REAL + MIGRATION, "utf8").replace(/^\s*--.*$/gm, "");
  expect(sql).toContain(`toDate(occurred_at, '${BUSINESS_TZ}')`);
  expect(sql.match(/'[A-Z][a-z]+\/[A-Za-z_]+'/g)?.every((z) => z === `'${BUSINESS_TZ}'`)).toBe(true);
});
