import { env, exports } from "cloudflare:workers";
import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { EXPORT_COLUMNS } from "../../schema/exports";
import { newId } from "../../worker/domain/crypto";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, createTenant } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";

async function keyFor(adminKey: string, scope: string) {
  const res = await api("/keys", { method: "POST", token: adminKey, json: { name: scope, scopes: [scope] } });
  expect(res.status).toBe(201);
  return res.body.secret as string;
}

const RANGE = "from=2026-01-01&to=2031-01-01";

async function download(token: string, path: string) {
  const res = await exports.default.fetch(`http://kaquan.test/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const ndjson = (b: Uint8Array) => text(b).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

/** RFC 4180 parser for the test (quoted fields, doubled quotes, CRLF). */
function csvRows(s: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(field), (field = "");
    else if (ch === "\r" && s[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += ch;
  }
  return rows;
}

async function paidShop(buyers: number) {
  const s = await shopWithKeys(buyers + 2);
  for (let i = 0; i < buyers; i++) {
    const o = await shop(s.slug, "/orders", { method: "POST", idem: `export-${i}-${s.slug}`, json: { productId: s.productId } });
    expect(o.status).toBe(201);
    expect((await pay(o.body.checkoutUrl)).status).toBe(200);
  }
  return { ...s, analyst: await keyFor(s.adminKey, "analyst") };
}

describe("data exports", () => {
  it("orders as NDJSON, CSV and Parquet: the same rows, in order, with nothing personal, resumable by cursor", async () => {
    const s = await paidShop(6);
    const nd = await download(s.analyst, `/exports/orders?${RANGE}`);
    expect(nd.status).toBe(200);
    expect(nd.headers.get("content-type")).toContain("application/x-ndjson");
    expect(nd.headers.get("content-disposition")).toContain("kaquan-orders-2026-01-01-2031-01-01.ndjson");
    const rows = ndjson(nd.bytes);
    expect(rows).toHaveLength(6);
    expect(Object.keys(rows[0]!)).toEqual(EXPORT_COLUMNS.orders.map((c) => c.name));
    expect(rows.every((r) => r.status === "delivered" && r.amountCents === 1990 && typeof r.quantity === "number")).toBe(true);
    const order = rows.map((r) => `${r.createdAt}|${r.id}`);
    expect([...order].sort()).toEqual(order);
    expect(text(nd.bytes)).not.toMatch(/idempotency|recharge|request_hash/i);

    // Resume: the first 4, then after the 4th row's cursor — the whole set, no row twice.
    const head = ndjson((await download(s.analyst, `/exports/orders?${RANGE}&limit=4`)).bytes);
    expect(head).toHaveLength(4);
    const tail = ndjson((await download(s.analyst, `/exports/orders?${RANGE}&cursor=${head[3]!.cursor}`)).bytes);
    expect([...head, ...tail].map((r) => r.id)).toEqual(rows.map((r) => r.id));
    // Past the last row there is nothing: an empty answer, not a blank line (a reader that parses every line it is
    // given, `for line in f: json.loads(line)`, failed on it; so did the last page of an export whose size is a
    // multiple of the page size). Every line of the whole file is a row.
    expect((await download(s.analyst, `/exports/orders?${RANGE}&cursor=${rows[5]!.cursor}`)).bytes.length).toBe(0);
    expect(text(nd.bytes).split("\n").slice(0, -1).every((l) => l.length > 0)).toBe(true);

    const csv = await download(s.analyst, `/exports/orders?${RANGE}&format=csv`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const table = csvRows(text(csv.bytes));
    expect(table[0]).toEqual(EXPORT_COLUMNS.orders.map((c) => c.name));
    expect(table.slice(1).map((r) => r[0])).toEqual(rows.map((r) => r.id));
    // For programs: no byte-order mark, ISO UTC times.
    const createdAt = EXPORT_COLUMNS.orders.findIndex((c) => c.name === "createdAt");
    expect(csv.bytes[0]).not.toBe(0xef);
    expect(table.slice(1).map((r) => r[createdAt])).toEqual(rows.map((r) => r.createdAt));
    // csv-excel, the file people open in Excel or WPS: the byte-order mark first (else its Chinese reads as GBK,
    // garbled), and times as China wall-clock times a spreadsheet reads as dates.
    const excel = await download(s.analyst, `/exports/orders?${RANGE}&format=csv-excel`);
    expect([...excel.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const china = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 23).replace("T", " ");
    expect(csvRows(text(excel.bytes)).slice(1).map((r) => r[createdAt])).toEqual(rows.map((r) => china(r.createdAt)));

    const pq = await download(s.analyst, `/exports/orders?${RANGE}&format=parquet`);
    expect(pq.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const objects = await parquetReadObjects({ file: pq.bytes.buffer.slice(pq.bytes.byteOffset, pq.bytes.byteOffset + pq.bytes.byteLength) as ArrayBuffer });
    expect(objects.map((o) => o.id)).toEqual(rows.map((r) => r.id));
    expect(objects.map((o) => Number(o.amountCents))).toEqual(rows.map((r) => r.amountCents));
    expect(objects.map((o) => (o.createdAt as Date).toISOString())).toEqual(rows.map((r) => r.createdAt));
    expect(objects.every((o) => o.campaignId === null)).toBe(true);

    // A part refund shows as money back on its order (the order stays delivered).
    expect(rows.every((r) => r.refundedCents === 0)).toBe(true);
    const part = await api(`/orders/${rows[1]!.id}/refunds`, { method: "POST", token: s.adminKey, json: { amountCents: 500, reason: "补偿" } });
    expect(part.status).toBe(201);
    const after = ndjson((await download(s.analyst, `/exports/orders?${RANGE}`)).bytes);
    expect(after.map((r) => [r.status, r.refundedCents])).toEqual(rows.map((r, i) => ["delivered", i === 1 ? 500 : 0]));

    // Payments: one row per charge and one per refund, the part refund naming its charge (finance matches the bill).
    const second = await api(`/orders/${rows[1]!.id}/refunds`, { method: "POST", token: s.adminKey, json: { amountCents: 300, reason: "=HYPERLINK(\"http://x.test\",\"再补\")" } });
    expect(second.status).toBe(201);
    const payments = ndjson((await download(s.analyst, `/exports/payments?${RANGE}`)).bytes);
    expect(Object.keys(payments[0]!)).toEqual(EXPORT_COLUMNS.payments.map((c) => c.name));
    const charges = payments.filter((p) => p.kind === "charge");
    expect(charges.map((p) => p.orderId).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(charges.every((p) => p.status === "succeeded" && p.amountCents === 1990 && p.refundOf === null && p.completedAt)).toBe(true);
    const refunds = payments.filter((p) => p.kind === "refund");
    const charge = charges.find((p) => p.orderId === rows[1]!.id)!;
    expect(refunds.map((p) => [p.orderId, p.amountCents, p.status, p.refundOf, p.reason])).toEqual([
      [rows[1]!.id, 500, "succeeded", charge.id, "补偿"],
      [rows[1]!.id, 300, "succeeded", charge.id, '=HYPERLINK("http://x.test","再补")'],
    ]);
    expect(JSON.stringify(payments)).not.toMatch(/payer|hash/i);
    const csvPayments = csvRows(text((await download(s.analyst, `/exports/payments?${RANGE}&format=csv`)).bytes));
    expect(csvPayments.slice(1).map((r) => r[0])).toEqual(payments.map((p) => p.id));
    // Typed words a spreadsheet would run as a formula are written as text (a leading '); the NDJSON keeps them as typed.
    const reasonAt = EXPORT_COLUMNS.payments.findIndex((c) => c.name === "reason");
    expect(csvPayments.slice(1).map((r) => r[reasonAt]).filter(Boolean)).toEqual(["补偿", `'=HYPERLINK("http://x.test","再补")`]);
    const sums = ndjson((await download(s.analyst, `/exports/orders?${RANGE}`)).bytes);
    expect(sums.find((r) => r.id === rows[1]!.id)!.refundedCents).toBe(800);
  });

  it("a free (¥0) order is listed as it is (delivered, paidAt) but is no paid order: paidOrder rows are the dashboard's 支付订单", async () => {
    const s = await paidShop(2);
    const made = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "免费券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } },
    });
    expect(made.status).toBe(201);
    expect((await api(`/products/${made.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const free = await shop(s.slug, "/orders", { method: "POST", idem: `export-free-${s.slug}`, json: { productId: made.body.id } });
    expect(free.status).toBe(201);
    expect([free.body.status, free.body.amountCents]).toEqual(["delivered", 0]);

    const rows = ndjson((await download(s.analyst, `/exports/orders?${RANGE}`)).bytes);
    expect(rows).toHaveLength(3);
    const freeRow = rows.find((r) => r.id === free.body.id)!;
    expect(freeRow).toMatchObject({ status: "delivered", amountCents: 0, paidOrder: false });
    expect(typeof freeRow.paidAt).toBe("string");
    const paid = rows.filter((r) => r.paidOrder === true);
    expect(paid.map((r) => r.id).sort()).toEqual(rows.filter((r) => r.id !== free.body.id).map((r) => r.id).sort());
    // CSV and Parquet carry the same flag.
    const table = csvRows(text((await download(s.analyst, `/exports/orders?${RANGE}&format=csv`)).bytes));
    const flagAt = EXPORT_COLUMNS.orders.findIndex((c) => c.name === "paidOrder");
    expect(Object.fromEntries(table.slice(1).map((r) => [r[0], r[flagAt]]))).toEqual(Object.fromEntries(rows.map((r) => [r.id, String(r.paidOrder)])));
    const pq = (await download(s.analyst, `/exports/orders?${RANGE}&format=parquet`)).bytes;
    const objects = await parquetReadObjects({ file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.byteLength) as ArrayBuffer });
    expect(objects.map((o) => o.paidOrder)).toEqual(rows.map((r) => r.paidOrder));

    // The dashboard's paid orders and GMV (revenue_overall) are the export's paidOrder rows: their count and amounts.
    let dash: any;
    for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 200))) {
      dash = (await api("/analytics/revenue_overall", { token: s.analyst })).body?.rows?.[0];
      if (dash?.paidOrders === 2) break;
    }
    expect(dash).toMatchObject({ paidOrders: paid.length, revenueCents: paid.reduce((n, r) => n + r.amountCents, 0) });
  });

  it("vouchers and members leave without codes, secrets or phone numbers", async () => {
    const s = await paidShop(3);
    const vouchers = ndjson((await download(s.analyst, `/exports/vouchers?${RANGE}`)).bytes);
    expect(vouchers).toHaveLength(3);
    expect(vouchers.every((v) => v.kind === "card_key" && v.faceValueCents === 2500 && v.status === "issued")).toBe(true);
    const dbCodes = await env.DB.prepare("SELECT code FROM vouchers WHERE tenant_id = ?").bind(s.tenant.id).all<{ code: string }>();
    const body = JSON.stringify(vouchers);
    for (const { code } of dbCodes.results) expect(body).not.toContain(code);
    expect(body).not.toMatch(/KEY-|secret/);

    const members = ndjson((await download(s.analyst, `/exports/members?${RANGE}`)).bytes);
    expect(members).toHaveLength(3);
    expect(members.every((m) => m.kind === "guest" && m.hasPhone === false && !("phone" in m) && !("phoneMasked" in m))).toBe(true);
  });

  it("streams a large table page by page: 2,345 members, every one once, in NDJSON and Parquet", async () => {
    const { tenant, adminKey } = await createTenant("Big");
    const analyst = await keyFor(adminKey, "analyst");
    const stmt = env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, created_at) VALUES (?, ?, 'guest', ?)");
    const base = Date.parse("2026-06-01T00:00:00Z");
    const all = Array.from({ length: 2345 }, (_, i) => stmt.bind(newId("byr"), tenant.id, new Date(base + Math.floor(i / 3) * 1000).toISOString()));
    for (let i = 0; i < all.length; i += 500) await env.DB.batch(all.slice(i, i + 500));

    const rows = ndjson((await download(analyst, `/exports/members?${RANGE}`)).bytes);
    expect(rows).toHaveLength(2345);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2345);
    const pq = (await download(analyst, `/exports/members?${RANGE}&format=parquet`)).bytes;
    const objects = await parquetReadObjects({ file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.byteLength) as ArrayBuffer });
    expect(objects.map((o) => o.id)).toEqual(rows.map((r) => r.id));
    // A window of the range: only its rows.
    const june1 = ndjson((await download(analyst, `/exports/members?from=2026-06-01T00:00:00Z&to=2026-06-01T00:00:10Z`)).bytes);
    expect(june1).toHaveLength(30);
  });

  it("redemptions carry ids and outcomes, not the code or the till's IP", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).status).toBe(200);
    const analyst = await keyFor(b.adminKey, "analyst");
    const rows = ndjson((await download(analyst, `/exports/redemptions?${RANGE}`)).bytes);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "succeeded", voucherId: v.id, storeId: b.store.id, reason: null });
    expect(JSON.stringify(rows)).not.toContain(v.code);
  });

  it("raw events come from the warehouse, tenant-scoped and resumable", async () => {
    const a = await createTenant("Events A");
    const other = await createTenant("Events B");
    const analyst = await keyFor(a.adminKey, "analyst");
    const at = (m: number) => new Date(Date.parse("2026-10-01T10:00:00Z") + m * 60_000).toISOString();
    const events = Array.from({ length: 12 }, (_, i) => ({ type: "page_view", occurredAt: at(i), actor: { userId: `u${i % 4}` }, payload: { campaignId: "k1" } }));
    expect((await api("/events/import", { method: "POST", token: a.adminKey, json: { events } })).status).toBe(202);
    expect((await api("/events/import", { method: "POST", token: other.adminKey, json: { events } })).status).toBe(202);

    let rows: Record<string, any>[] = [];
    for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 200))) {
      const res = await download(analyst, `/exports/events?${RANGE}`);
      // The tenant's own facts (tenant_created, api_key_created) are in its stream too; the page views are ours.
      if (res.status === 200) rows = ndjson(res.bytes).filter((r) => r.type === "page_view");
      if (rows.length >= 12) break;
    }
    expect(rows).toHaveLength(12);
    expect(rows.map((r) => r.occurredAt)).toEqual(events.map((e) => e.occurredAt));
    expect(rows.every((r) => r.type === "page_view" && r.campaignId === "k1" && r.orderId === null)).toBe(true);
    const views = `from=2026-10-01&to=2026-10-02`;
    const head = ndjson((await download(analyst, `/exports/events?${views}&limit=5`)).bytes);
    const tail = ndjson((await download(analyst, `/exports/events?${views}&cursor=${head[4]!.cursor}`)).bytes);
    expect([...head, ...tail].map((r) => r.eventId)).toEqual(rows.map((r) => r.eventId));
  });

  it("refuses what it cannot serve with a clear error, and another tenant's rows never appear", async () => {
    const s = await paidShop(1);
    const other = await createTenant("Other");
    const otherAnalyst = await keyFor(other.adminKey, "analyst");
    const empty = await download(otherAnalyst, `/exports/orders?${RANGE}&format=csv`);
    expect(empty.status).toBe(200);
    expect(csvRows(text(empty.bytes))).toEqual([EXPORT_COLUMNS.orders.map((c) => c.name)]);
    const emptyPq = (await download(otherAnalyst, `/exports/orders?${RANGE}&format=parquet`)).bytes;
    expect(await parquetReadObjects({ file: emptyPq.buffer.slice(emptyPq.byteOffset, emptyPq.byteOffset + emptyPq.byteLength) as ArrayBuffer })).toEqual([]);

    const bad = async (path: string, token = s.analyst) => {
      const res = await api(path, { token });
      return { status: res.status, code: res.body?.error?.code, paths: (res.body?.error?.issues ?? []).map((i: any) => i.path) };
    };
    expect(await bad(`/exports/orders?${RANGE}&format=xml`)).toMatchObject({ status: 400, paths: ["query.format"] });
    expect(await bad(`/exports/orders?${RANGE}&cursor=bm90LWEtY3Vyc29y`)).toMatchObject({ status: 400, code: "invalid_cursor" });
    expect(await bad(`/exports/orders?from=2026-02-01&to=2026-01-01`)).toMatchObject({ status: 400, paths: ["query.to"] });
    expect(await bad(`/exports/orders?to=2026-01-01`)).toMatchObject({ status: 400, paths: ["query.from"] });
    expect(await bad(`/exports/orders?${RANGE}&tenantId=${other.tenant.id}`)).toMatchObject({ status: 400 });
    expect((await bad(`/exports/cardkeys?${RANGE}`)).status).toBe(400);
    expect((await api(`/exports/orders?${RANGE}`)).status).toBe(401);
    const redeemer = await keyFor(s.adminKey, "redeemer");
    expect((await bad(`/exports/orders?${RANGE}`, redeemer)).status).toBe(403);
  });
});
