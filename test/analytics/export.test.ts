import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportEventsPage } from "../../analytics/export";
import { EXPORT_COLUMNS, type ExportRow } from "../../schema/exports";
import { exportEncoder } from "../../worker/domain/export-format";
import { at, ev, TENANT, OTHER, useWarehouse } from "./metric-harness";

// 7 events, three of them at the same instant: the page order must break ties by event id.
const fixture = [
  ev("page_view", "u1", at("09-07", 9), { campaignId: "k1" }),
  ...[1, 2, 3].map((i) => ev("page_view", `u${i}`, at("09-07", 10), { campaignId: "k1" })),
  ev("order_paid", "u1", at("09-08"), { orderId: "o1", productId: "p1", amountCents: 1990 }),
  ev("order_paid", "u2", at("09-09"), { orderId: "o2", productId: "p1", amountCents: 1990 }),
  ev("share_sent", "u1", at("09-10"), { campaignId: "k1" }),
];
const wh = useWarehouse(fixture);
const range = { from: "2026-09-01T00:00:00.000Z", to: "2026-10-01T00:00:00.000Z" };

async function all(tenantId: string, pageSize: number) {
  const out: (ExportRow & { at: string })[] = [];
  for (let after = null as { at: string; id: string } | null; ; ) {
    const page = await exportEventsPage(wh.client(), { tenantId, ...range, after, limit: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    after = { at: page[page.length - 1]!.at, id: String(page[page.length - 1]!.id) };
  }
}

describe("event export pages", () => {
  it("pages in (time, event id) order, one tenant only, each event once — whatever the page size", async () => {
    const whole = await all(TENANT, 1000);
    expect(whole).toHaveLength(7);
    const keys = whole.map((r) => `${r.at}|${r.eventId}`);
    expect([...keys].sort()).toEqual(keys);
    for (const size of [1, 2, 3]) expect((await all(TENANT, size)).map((r) => r.eventId)).toEqual(whole.map((r) => r.eventId));
    expect(whole.every((r) => !String(r.userId).startsWith("x-"))).toBe(true);
    expect((await all(OTHER, 1000)).every((r) => String(r.userId).startsWith("x-"))).toBe(true);
    expect(whole.find((r) => r.orderId === "o1")).toMatchObject({ type: "order_paid", amountCents: 1990, productId: "p1", campaignId: null, occurredAt: "2026-09-08T10:00:00.000Z" });
  });

  it("a redelivered event not yet merged away is exported once", async () => {
    const [first] = await all(TENANT, 1);
    const rs = await wh.client().query({ query: "SELECT * FROM events WHERE event_id = {id:String}", query_params: { id: first!.eventId }, format: "JSONEachRow" });
    const [row] = await rs.json<Record<string, unknown>>();
    await wh.client().insert({ table: "events", values: [{ ...row, ingested_at: undefined }], format: "JSONEachRow", clickhouse_settings: { optimize_on_insert: 0 } });
    const again = await all(TENANT, 2);
    expect(again).toHaveLength(7);
    expect(new Set(again.map((r) => r.eventId)).size).toBe(7);
  });

  it("ClickHouse reads the export's Parquet: same rows, types and totals", async () => {
    const rows = (await all(TENANT, 1000)).map((r) => ({ ...r, cursor: `c-${r.eventId}` }));
    const enc = exportEncoder("parquet", EXPORT_COLUMNS.events);
    // Two pages → two row groups, as the worker streams them.
    const parts = [enc.start(), enc.page(rows.slice(0, 4)), enc.page(rows.slice(4)), enc.end()].filter((p): p is Uint8Array => !!p);
    const file = join(process.env.TMPDIR ?? "/tmp", `kaquan-export-${process.pid}.parquet`);
    writeFileSync(file, Buffer.concat(parts));
    const rs = await wh.client().query({
      query: `SELECT count() AS n, sum(amountCents) AS cents, countIf(orderId IS NULL) AS noOrder, min(occurredAt) AS first
              FROM file({file:String}, Parquet)`,
      query_params: { file },
      format: "JSONEachRow",
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await rs.json()).toEqual([{ n: 7, cents: 3980, noOrder: 5, first: "2026-09-07 09:00:00.000" }]);
  });
});
