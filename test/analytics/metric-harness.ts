import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, vi } from "vitest";
import { createWarehouseClient } from "../../analytics/client";
import { ingestEvents } from "../../analytics/ingest";
import type { EventInput } from "../../worker/queue/emit";
import { runMetric } from "../../analytics/metrics";
import { PERSONS_PER_SLICE, setPersonsPerSlice } from "../../analytics/metrics/person-slices";
import { migrate } from "../../analytics/migrate";
import type { MetricName } from "../../schema/analytics";
import type { EventEnvelope, EventType } from "../../schema/events";
import { buildEvent } from "../../worker/queue/emit";
import { clusterOnEmbedded, TEST_CLUSTER } from "./cluster-client";

export const TENANT = "tA";
/** Every fixture event is mirrored into this tenant: a query that leaks across tenants would double its numbers. */
export const OTHER = "tB";

/** 2026-09-07 is a Monday; `at("09-08", 11)` = 2026-09-08T11:00:00Z. */
export const at = (monthDay: string, hour = 10, minute = 0) =>
  new Date(`2026-${monthDay}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00Z`);

export function ev(type: EventType, userId: string, when: Date, payload: EventEnvelope["payload"] = {}, referrerId?: string) {
  return { type, actor: { userId, referrerId: referrerId ?? null }, payload, occurredAt: when };
}
type Fixture = ReturnType<typeof ev>;

/** One embedded ClickHouse per test file (chdb: one owner per directory), seeded with `fixture` for both tenants. */
export function useWarehouse(fixture: Fixture[]) {
  const ctx = {} as { client: ClickHouseClient; dir: string };
  beforeAll(async () => {
    ctx.dir = mkdtempSync(join(tmpdir(), "kaquan-metric-"));
    ctx.client = (await createWarehouseClient({ dataDir: ctx.dir })).client;
    // The analytics-cluster project runs its metric files on tables made by the cluster form of the migrations.
    if (process.env.KAQUAN_TEST_CLUSTER === "1") await migrate(clusterOnEmbedded(ctx.client), { mode: TEST_CLUSTER });
    else await migrate(ctx.client);
    const mirror = (f: Fixture): Fixture => ({
      ...f,
      actor: { userId: `x-${f.actor.userId}`, referrerId: f.actor.referrerId && `x-${f.actor.referrerId}` },
      // guest_attached names the guest in its payload.
      ...(typeof f.payload.guestId === "string" ? { payload: { ...f.payload, guestId: `x-${f.payload.guestId}` } } : {}),
    });
    const events = [
      ...fixture.map((f) => buildEvent({ tenantId: TENANT, ...f } as EventInput)),
      ...fixture.map((f) => buildEvent({ tenantId: OTHER, ...mirror(f) } as EventInput)),
    ];
    await ingestEvents(ctx.client, events);
  });
  afterAll(async () => {
    await ctx.client.close();
    rmSync(ctx.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });
  const query = async (name: MetricName, params: Record<string, unknown> = {}, tenant = TENANT) =>
    (await runMetric(ctx.client, tenant, name, { from: "2026-09-01", to: "2026-10-01", ...params })).rows;
  return {
    query,
    client: () => ctx.client,
    /** Each case's rows in one pass, then read in one-person slices (person-slices.ts), and how many queries those sent. */
    async slicedAndWhole(name: MetricName, cases: Record<string, unknown>[]) {
      const whole = [];
      for (const c of cases) whole.push(await query(name, c));
      setPersonsPerSlice(1);
      const spy = vi.spyOn(ctx.client, "query");
      try {
        const sliced = [];
        for (const c of cases) sliced.push(await query(name, c));
        return { whole, sliced, queries: spy.mock.calls.length };
      } finally {
        spy.mockRestore();
        setPersonsPerSlice(PERSONS_PER_SLICE);
      }
    },
  };
}
