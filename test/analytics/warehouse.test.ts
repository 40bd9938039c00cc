import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { createWarehouseApp, MAX_INFLATED_BYTES } from "../../analytics/app";
import { createWarehouseClient } from "../../analytics/client";
import { ingestEvents, MAX_ID_LIST_BYTES } from "../../analytics/ingest";
import { migrate } from "../../analytics/migrate";
import { signBody } from "../../worker/domain/signature";
import { buildEvent } from "../../worker/queue/emit";

const SECRET = "wh-test-secret";
const QUERY_SECRET = "wh-test-query-secret";
let dir: string;
let client: ClickHouseClient;
let app: ReturnType<typeof createWarehouseApp>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kaquan-wh-test-"));
  ({ client } = await createWarehouseClient({ dataDir: dir }));
  await migrate(client);
  app = createWarehouseApp({ client, ingestSecret: SECRET, querySecret: QUERY_SECRET, embedded: true });
});

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

async function ingest(body: unknown, signature?: string) {
  const raw = JSON.stringify(body);
  return app.request("/v1/ingest", {
    method: "POST",
    headers: { "content-type": "application/json", "x-kaquan-signature": signature ?? (await signBody(SECRET, raw)) },
    body: raw,
  });
}

async function count(tenantId: string) {
  const rs = await client.query({
    query: "SELECT count() AS n, uniqExact(event_id) AS u FROM events WHERE tenant_id = {t:String}",
    query_params: { t: tenantId },
    format: "JSONEachRow",
  });
  return (await rs.json<{ n: number; u: number }>())[0]!;
}

describe("warehouse on embedded ClickHouse", () => {
  it("applies migrations once", async () => {
    expect(await migrate(client)).toEqual([]);
  });

  it("ingests a signed batch, lifting attribution columns out of the payload", async () => {
    const e = buildEvent({ tenantId: "tA", type: "order_paid", actor: { userId: "u1" }, payload: { orderId: "o1", amountCents: 1990, campaignId: "c1" } });
    const res = await ingest({ events: [e] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, inserted: 1, duplicates: 0, rejected: [] });
    const rs = await client.query({ query: "SELECT user_id, order_id, amount_cents, campaign_id FROM events WHERE event_id = {id:String}", query_params: { id: e.eventId }, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ user_id: "u1", order_id: "o1", amount_cents: 1990, campaign_id: "c1" }]);
  });

  it("is idempotent on event_id across and within batches", async () => {
    const events = Array.from({ length: 50 }, () => buildEvent({ tenantId: "tB", type: "page_view" }));
    await ingest({ events });
    const again = await ingest({ events: [...events, ...events.slice(0, 5)] });
    expect(await again.json()).toEqual({ received: 55, inserted: 0, duplicates: 55, rejected: [] });
    expect(await count("tB")).toEqual({ n: 50, u: 50 });
  });

  it("finds a stored id again whether the batch's ids are sent as one list or, when one holds a comma, as an array", async () => {
    const plain = Array.from({ length: 3 }, () => buildEvent({ tenantId: "tB2", type: "page_view" }));
    const comma = { ...buildEvent({ tenantId: "tB2", type: "page_view" }), eventId: "import:a,b,c-0001" };
    // "x,y" is not stored: the engine's split of a list must not turn it into two ids that are.
    const near = { ...buildEvent({ tenantId: "tB2", type: "page_view" }), eventId: `${plain[0]!.eventId},${plain[1]!.eventId}` };
    const more = buildEvent({ tenantId: "tB2", type: "page_view" });
    expect(await (await ingest({ events: plain })).json()).toMatchObject({ inserted: 3, duplicates: 0 });
    expect(await (await ingest({ events: [...plain, more] })).json()).toMatchObject({ inserted: 1, duplicates: 3 });
    expect(await (await ingest({ events: [comma] })).json()).toMatchObject({ inserted: 1, duplicates: 0 });
    expect(await (await ingest({ events: [comma, near, plain[2]!] })).json()).toMatchObject({ inserted: 1, duplicates: 2 });
    expect(await count("tB2")).toEqual({ n: 6, u: 6 });
  });

  it("checks a batch whose ids exceed one query's list in several queries, and still finds every stored one", async () => {
    const long = (i: number) => `import-${"x".repeat(48)}-${String(i).padStart(6, "0")}`; // 62 characters
    const events = Array.from({ length: 6_000 }, (_, i) => ({ ...buildEvent({ tenantId: "tLong", type: "page_view", actor: { userId: `u${i}` } }), eventId: long(i) }));
    expect(events.length * 63).toBeGreaterThan(MAX_ID_LIST_BYTES);
    let checks = 0;
    const counting = new Proxy(client, {
      get: (t, k, r) => (k === "query" ? (p: { query: string }) => ((checks += Number(p.query.includes("SELECT event_id FROM events"))), t.query(p as never)) : Reflect.get(t, k, r)),
    });
    expect(await ingestEvents(counting, events)).toMatchObject({ received: 6_000, inserted: 6_000, duplicates: 0 });
    expect(checks).toBe(2);
    const fresh = { ...buildEvent({ tenantId: "tLong", type: "page_view" }), eventId: long(6_000) };
    expect(await ingestEvents(counting, [...events, fresh])).toMatchObject({ received: 6_001, inserted: 1, duplicates: 6_000 });
    expect(await count("tLong")).toEqual({ n: 6_001, u: 6_001 });
  });

  it("stays exact when the same batch arrives concurrently", async () => {
    const events = Array.from({ length: 20 }, () => buildEvent({ tenantId: "tC", type: "page_view" }));
    await Promise.all([ingest({ events }), ingest({ events }), ingest({ events })]);
    expect(await count("tC")).toEqual({ n: 20, u: 20 });
  });

  it("gives each of several concurrent overlapping batches its own exact result (grouped or not)", async () => {
    const events = Array.from({ length: 15 }, () => buildEvent({ tenantId: "tE", type: "page_view" }));
    const results = (await Promise.all([
      ingest({ events: events.slice(0, 10) }),
      ingest({ events: events.slice(5, 15) }),
      ingest({ events: [events[0]!, events[0]!] }),
    ].map(async (r) => (await r).json()))) as { received: number; inserted: number; duplicates: number }[];
    expect(results.map((r) => r.received)).toEqual([10, 10, 2]);
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(15);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(7);
    for (const r of results) expect(r.inserted + r.duplicates).toBe(r.received);
    expect(await count("tE")).toEqual({ n: 15, u: 15 });
  });

  it("keeps one user profile per tenant when the same user id arrives for two tenants in one batch", async () => {
    const signup = (tenantId: string, day: string, acquisitionCampaignId: string) =>
      buildEvent({ tenantId, type: "user_signed_up", actor: { userId: "same-user" }, payload: { acquisitionCampaignId }, occurredAt: new Date(`2026-09-${day}T10:00:00Z`) });
    const view = (tenantId: string, day: string) =>
      buildEvent({ tenantId, type: "page_view", actor: { userId: "same-user" }, occurredAt: new Date(`2026-09-${day}T10:00:00Z`) });
    await ingest({ events: [signup("tP", "07", "cP"), view("tP", "08"), signup("tQ", "10", "cQ"), view("tQ", "12"), view("tQ", "12")] });
    const rs = await client.query({
      query: `SELECT tenant_id, toString(min(signed_up_at)) AS signed_up_at, max(acquisition_campaign_id) AS acq,
                     arraySort(groupUniqArrayArray(active_days_cn)) AS days
              FROM user_profiles WHERE tenant_id IN ('tP', 'tQ') GROUP BY tenant_id, user_key ORDER BY tenant_id`,
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([
      { tenant_id: "tP", signed_up_at: "2026-09-07 10:00:00.000", acq: "cP", days: ["2026-09-07", "2026-09-08"] },
      { tenant_id: "tQ", signed_up_at: "2026-09-10 10:00:00.000", acq: "cQ", days: ["2026-09-10", "2026-09-12"] },
    ]);
  });

  it("refuses unsigned, forged or stale batches and invalid envelopes", async () => {
    const events = [buildEvent({ tenantId: "tD", type: "page_view" })];
    expect((await ingest({ events }, "t=1,v1=00")).status).toBe(401);
    const stale = await signBody(SECRET, JSON.stringify({ events }), Math.floor(Date.now() / 1000) - 3600);
    expect((await ingest({ events }, stale)).status).toBe(401);
    const bad = await ingest({ events: [{ ...events[0], type: "nope" }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe("events.0.type");
    expect((await count("tD")).n).toBe(0);
  });

  it("takes a gzipped batch signed over the gzip as sent (or over its JSON), and refuses a tampered, foreign, broken or inflating one, storing nothing", async () => {
    const events = [buildEvent({ tenantId: "tGz", type: "page_view", payload: { path: "/压缩" } }), buildEvent({ tenantId: "tGz", type: "page_view" })];
    const raw = JSON.stringify({ events });
    const zipped = gzipSync(raw);
    const post = (body: Uint8Array, encoding: string, signature: Promise<string> | string = signBody(SECRET, body)) =>
      Promise.resolve(signature).then((sig) =>
        app.request("/v1/ingest", { method: "POST", headers: { "content-type": "application/json", "content-encoding": encoding, "x-kaquan-signature": sig }, body }),
      );
    // The signature covers the bytes on the wire (or, from senders before it did, the inflated JSON): another batch
    // under either signature is refused.
    const tampered = gzipSync(JSON.stringify({ events: [{ ...events[0], tenantId: "tGzOther" }, events[1]] }));
    expect((await post(tampered, "gzip", signBody(SECRET, zipped))).status).toBe(401);
    expect((await post(tampered, "gzip", signBody(SECRET, raw))).status).toBe(401);
    expect((await post(zipped, "gzip", signBody("another-secret", raw))).status).toBe(401);
    expect((await post(zipped, "br")).status).toBe(415);
    const broken = await post(Buffer.from("not gzip at all"), "gzip");
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe("invalid_body");
    // 65 MB of spaces in ~64 KB: a malformed or stale signature is refused before anything is inflated; any other
    // signature not over its gzip stops at the cap.
    const bomb = gzipSync(Buffer.alloc(MAX_INFLATED_BYTES + 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect((await post(bomb, "gzip", "t=1,v1=00")).status).toBe(401);
    expect((await post(bomb, "gzip", "garbage")).status).toBe(401);
    expect((await post(bomb, "gzip", signBody("another-secret", bomb))).status).toBe(413);
    expect((await post(bomb, "gzip")).status).toBe(413);
    expect((await count("tGz")).n).toBe(0);
    expect((await count("tGzOther")).n).toBe(0);

    const ok = await post(zipped, "gzip");
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ received: 2, inserted: 2, duplicates: 0 });
    const again = await post(zipped, "GZIP");
    expect(await again.json()).toMatchObject({ received: 2, inserted: 0, duplicates: 2 });
    // Signed over the inflated JSON, as consumers did before: still taken (a repeat here).
    expect(await (await post(zipped, "gzip", signBody(SECRET, raw))).json()).toMatchObject({ received: 2, duplicates: 2 });
    // Unencoded, the bytes are the JSON's UTF-8: the same signature as its text.
    expect((await post(new TextEncoder().encode(raw), "identity", signBody(SECRET, raw))).status).toBe(200);
    expect(await count("tGz")).toEqual({ n: 2, u: 2 });
  });

  it("refuses an envelope whose payload does not match its type by index and field path, counts it, and stores the rest of the batch", async () => {
    const good = [
      buildEvent({ tenantId: "tR", type: "order_paid", payload: { orderId: "o1", amountCents: 990 } }),
      buildEvent({ tenantId: "tR", type: "page_view", payload: { path: "/" } }),
    ];
    const wrong = { ...buildEvent({ tenantId: "tR", type: "voucher_redeemed", payload: { voucherId: "v1" } }), payload: { voucherId: "v1", amountCents: "9.90" } };
    const before = ((await (await app.request("/health")).json()) as { rejectedEvents: number }).rejectedEvents;
    const res = await ingest({ events: [good[0], wrong, good[1]] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { inserted: number; rejected: { index: number; eventId: string; path: string }[] };
    expect(body.inserted).toBe(2);
    expect(body.rejected).toEqual([expect.objectContaining({ index: 1, eventId: wrong.eventId, path: "events.1.payload.amountCents" })]);
    expect((await count("tR")).n).toBe(2);
    // All refused: 400, each one named.
    const all = await ingest({ events: [wrong] });
    expect(all.status).toBe(400);
    expect(((await all.json()) as { rejected: { path: string }[] }).rejected.map((r) => r.path)).toEqual(["events.0.payload.amountCents"]);
    const after = ((await (await app.request("/health")).json()) as { rejectedEvents: number }).rejectedEvents;
    expect(after - before).toBe(2);
  });
});

describe("warehouse query signing", () => {
  it("answers dashboard queries signed with the query secret only: the ingest secret cannot read", async () => {
    const raw = JSON.stringify({ metric: "top_products", tenantId: "t-query-secret", params: {} });
    const ask = async (secret: string) =>
      app.request("/v1/query/top_products", { method: "POST", headers: { "content-type": "application/json", "x-kaquan-signature": await signBody(secret, raw) }, body: raw });
    const withIngest = await ask(SECRET);
    expect(withIngest.status).toBe(401);
    expect(((await withIngest.json()) as { error: { code: string } }).error.code).toBe("bad_signature");
    const withQuery = await ask(QUERY_SECRET);
    expect(withQuery.status).not.toBe(401);
    expect(withQuery.status).toBeLessThan(500);
  });
});

describe("embedded engine: a statement's settings hold for that statement only", () => {
  const setting = async (name: string) =>
    (await (await client.query({ query: "SELECT value FROM system.settings WHERE name = {name:String}", query_params: { name }, format: "JSONEachRow" })).json<{ value: string }>())[0]!.value;

  it("a bulk load's block size, a mutation's mutations_sync or a query's max_threads do not stay for the next statements", async () => {
    const before = { block: await setting("max_block_size"), sync: await setting("mutations_sync"), rows: await setting("min_insert_block_size_rows") };
    const inside = await (await client.query({
      query: "SELECT getSetting('max_block_size') AS b, getSetting('max_threads') AS t", format: "JSONEachRow",
      clickhouse_settings: { max_block_size: "8192", max_threads: 1 },
    })).json<{ b: number; t: number }>();
    expect(inside[0]).toEqual({ b: 8192, t: 1 });
    await client.command({ query: "SELECT 1", clickhouse_settings: { mutations_sync: "2", min_insert_block_size_rows: "5000000" } });
    expect({ block: await setting("max_block_size"), sync: await setting("mutations_sync"), rows: await setting("min_insert_block_size_rows") }).toEqual(before);
    expect(before.block).not.toBe("8192");
  });

  it("an insert's settings apply to its own rows (sent inside the INSERT statement) and not to the next insert", async () => {
    // A ReplacingMergeTree collapses each inserted block unless the insert says optimize_on_insert = 0.
    const before = await setting("optimize_on_insert");
    await client.command({ query: "CREATE TABLE scoped_insert (k UInt8, b UInt8) ENGINE = ReplacingMergeTree ORDER BY k" });
    await client.command({ query: "SYSTEM STOP MERGES scoped_insert" });
    const rows = async () => (await (await client.query({ query: "SELECT count() AS n FROM scoped_insert", format: "JSONEachRow" })).json<{ n: number }>())[0]!.n;
    const twice = [[1, 1], [1, 2]];
    await client.insert({ table: "scoped_insert", columns: ["k", "b"], values: twice, format: "JSONCompactEachRow", clickhouse_settings: { optimize_on_insert: 0 } });
    expect(await rows()).toBe(2);
    await client.insert({ table: "scoped_insert", columns: ["k", "b"], values: twice, format: "JSONCompactEachRow" });
    expect(await rows()).toBe(3);
    expect(await setting("optimize_on_insert")).toBe(before);
    await client.command({ query: "DROP TABLE scoped_insert" });
  });
});
