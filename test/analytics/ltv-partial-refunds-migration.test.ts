import type { ClickHouseClient } from "@clickhouse/client";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createWarehouseClient } from "../../analytics/client";
import { ingestEvents } from "../../analytics/ingest";
import { runMetric } from "../../analytics/metrics";
import { migrate } from "../../analytics/migrate";
import { buildEvent } from "../../worker/queue/emit";
import { clusterOnEmbedded, TEST_CLUSTER } from "./cluster-client";
import { at, ev } from "./metric-harness";

// A warehouse that held refunds before 0019 (ltv_people without the order): after 0019 and 0020, LTV counts an order
// refunded in parts by its parts, and the whole refund that closes such an order once (new ones say inParts).
const REAL = fileURLToPath(new URL("../../schema/clickhouse/", import.meta.url));
let dir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kaquan-ltv-0019-"));
  ({ client } = await createWarehouseClient({ dataDir: join(dir, "ch") }));
});
afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const fixture = [
  ev("user_signed_up", "p1", at("09-07")),
  ev("order_paid", "p1", at("09-08"), { orderId: "o1", amountCents: 1000 }),
  ev("order_partially_refunded", "p1", at("09-09"), { orderId: "o1", refundId: "rf1", amountCents: 300, units: 0 }),
  ev("order_partially_refunded", "p1", at("09-10"), { orderId: "o1", refundId: "rf2", amountCents: 700, units: 1 }),
  ev("order_refunded", "p1", at("09-10"), { orderId: "o1", amountCents: 1000 }),
  ev("order_paid", "p1", at("09-11"), { orderId: "o2", amountCents: 500 }),
  ev("order_refunded", "p1", at("09-12"), { orderId: "o2", amountCents: 500 }),
  ev("order_paid", "p1", at("09-12"), { orderId: "o3", amountCents: 2000 }),
  ev("order_partially_refunded", "p1", at("09-13"), { orderId: "o3", refundId: "rf3", amountCents: 250, units: 0 }),
];
// The analytics-cluster project applies the migrations' cluster form, as the metric harness does.
const migrateAll = (dirOf?: string) =>
  process.env.KAQUAN_TEST_CLUSTER === "1" ? migrate(clusterOnEmbedded(client), { dir: dirOf, mode: TEST_CLUSTER }) : migrate(client, { dir: dirOf });
const ltv = async () => (await runMetric(client, "tA", "ltv", { from: "2026-09-01", to: "2026-10-01" })).rows;

it("0019 and 0020 re-read the refunds already held: parts count, a whole that closes parts counts once", async () => {
  const before = join(dir, "before") + "/";
  mkdirSync(before);
  for (const f of readdirSync(REAL).filter((f) => f < "0019")) copyFileSync(REAL + f, before + f);
  await migrateAll(before);
  await ingestEvents(client, fixture.map((f) => buildEvent({ tenantId: "tA", ...f } as Parameters<typeof buildEvent>[0])));
  const kinds = async () => (await client.query({ query: "SELECT kind, count() AS n, countIf(order_key = 0) AS keyless FROM ltv_people GROUP BY kind ORDER BY kind", format: "JSONEachRow" })).json();
  // Before: the partial refunds are not in ltv_people; the wholes are, without their order.
  expect((await (await client.query({ query: "SELECT kind, count() AS n FROM ltv_people GROUP BY kind ORDER BY kind", format: "JSONEachRow" })).json()))
    .toEqual([{ kind: 0, n: 1 }, { kind: 1, n: 3 }, { kind: 2, n: 2 }]);

  // (and every later migration)
  expect((await migrateAll()).slice(0, 2)).toEqual(["0019_ltv_people_partial_refunds.sql", "0020_ltv_people_skip_whole_after_parts.sql"]);
  // 1000 − 1000 (o1 in parts) + 500 − 500 (o2 whole) + 2000 − 250 (o3 in part) = 1750.
  expect(await ltv()).toEqual([{ cohort: "2026-09-07", users: 1, ltv7Cents: 1750, ltv30Cents: 1750, ltv90Cents: 1750 }]);
  expect(await kinds()).toEqual([
    // o1's whole refund (after its parts) went; o2's, refunded at once, stays.
    { kind: 0, n: 1, keyless: 1 }, { kind: 1, n: 3, keyless: 3 }, { kind: 2, n: 1, keyless: 0 }, { kind: 3, n: 3, keyless: 0 },
  ]);

  // Events arriving after it go the same way.
  await ingestEvents(client, [
    buildEvent({ tenantId: "tA", ...ev("order_partially_refunded", "p1", at("09-13", 12), { orderId: "o3", refundId: "rf4", amountCents: 1750, units: 1 }) } as Parameters<typeof buildEvent>[0]),
    buildEvent({ tenantId: "tA", ...ev("order_refunded", "p1", at("09-13", 12), { orderId: "o3", amountCents: 2000, inParts: true }) } as Parameters<typeof buildEvent>[0]),
  ]);
  expect((await ltv())[0]).toMatchObject({ ltv7Cents: 0, ltv30Cents: 0 });
});
