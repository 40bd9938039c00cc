import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../worker/domain/crypto";
import { haversineMeters } from "../../worker/domain/geo";
import { storesForVoucher } from "../../worker/services/nearby-stores";
import { claimRun, tenantsDue, writeRun } from "../../worker/db/recommendations";
import { refreshTenantRecommendations } from "../../worker/services/recommendations";
import { issueVoucher } from "../../worker/services/vouchers";
import { shop } from "./commerce-helpers";
import { api, createTenant } from "./helpers";

const ALL_DAY = ["10:00-22:00"];
const STORES = {
  nanjing: { name: "南京西路店", address: "南京西路 1 号", city: "上海", lat: 31.2353, lng: 121.4747, hours: { mon: ALL_DAY, tue: ALL_DAY, wed: ALL_DAY, thu: ALL_DAY, fri: ALL_DAY, sat: ALL_DAY, sun: ALL_DAY } },
  xujiahui: { name: "徐家汇店", address: "漕溪北路 2 号", city: "上海", lat: 31.1955, lng: 121.4375, hours: { fri: ["10:00-02:00"], sat: ["10:00-02:00"] } },
  sanlitun: { name: "三里屯店", address: "三里屯路 19 号", city: "北京", lat: 39.9334, lng: 116.454 },
  nowhere: { name: "无坐标店", address: "", city: "上海" },
};

async function product(tenantId: string, name: string, status = "published") {
  const id = newId("prd");
  await env.DB.prepare(`INSERT INTO products (id, tenant_id, kind, name, price_cents, face_value_cents, config, status) VALUES (?, ?, 'coupon', ?, 100, 2000, '{}', ?)`)
    .bind(id, tenantId, name, status).run();
  return id;
}

/** A brand with the four stores, two coupon products (the second limited to 徐家汇 and 三里屯), a guest holding one of each. */
async function brand() {
  const { tenant, adminKey } = await createTenant("Nearby Brand");
  const stores: Record<keyof typeof STORES, string> = {} as never;
  for (const [k, s] of Object.entries(STORES)) {
    const r = await api("/stores", { method: "POST", token: adminKey, json: s });
    expect(r.status).toBe(201);
    stores[k as keyof typeof STORES] = r.body.id;
  }
  const open = await product(tenant.id, "全场券");
  const limited = await product(tenant.id, "限店券");
  expect((await api(`/products/${limited}/stores`, { method: "PUT", token: adminKey, json: { storeIds: [stores.xujiahui, stores.sanlitun] } })).status).toBe(200);
  const guest = await shop(tenant.slug, "/guest", { method: "POST", json: {} });
  const buyerId = guest.body.buyer.id as string;
  const hold = async (productId: string) =>
    (await issueVoucher(env, { tenantId: tenant.id, holderId: buyerId, productId, sourceKey: `t:${crypto.randomUUID()}` })).voucher.code;
  return { tenant, adminKey, stores, open, limited, cookie: guest.cookie!, buyerId, hold, codes: { open: await hold(open), limited: await hold(limited) } };
}

describe("nearby stores of a held voucher", () => {
  it("orders by distance from the buyer, or lists one city's; a product's store list limits them", async () => {
    const b = await brand();
    const near = { lat: 31.19, lng: 121.43 };
    const r = await shop(b.tenant.slug, `/vouchers/${b.codes.open}/stores?lat=${near.lat}&lng=${near.lng}`, { cookie: b.cookie });
    expect(r.status).toBe(200);
    expect(r.body.order).toBe("distance");
    expect(r.body.restricted).toBe(false);
    expect(r.body.stores.map((s: any) => s.name)).toEqual(["徐家汇店", "南京西路店", "三里屯店", "无坐标店"]);
    expect(r.body.stores[0].distanceMeters).toBe(Math.round(haversineMeters(near, STORES.xujiahui)));
    expect(r.body.stores[2].distanceMeters).toBeGreaterThan(1_000_000);
    expect(r.body.stores[3]).toMatchObject({ distanceMeters: null, mapUrl: null, openNow: null, todayHours: null });
    expect(r.body.stores[0].mapUrl).toContain("coordinate=wgs84");
    expect([...r.body.cities].sort()).toEqual(["上海", "北京"].sort());

    // From Beijing the order turns round.
    const bj = await shop(b.tenant.slug, `/vouchers/${b.codes.open}/stores?lat=39.9&lng=116.4`, { cookie: b.cookie });
    expect(bj.body.stores.map((s: any) => s.name).slice(0, 2)).toEqual(["三里屯店", "南京西路店"]);

    const city = await shop(b.tenant.slug, `/vouchers/${b.codes.open}/stores?city=${encodeURIComponent("上海")}`, { cookie: b.cookie });
    expect(city.body.order).toBe("name");
    expect(city.body.stores.map((s: any) => s.name).sort()).toEqual(["南京西路店", "徐家汇店", "无坐标店"].sort());
    expect(city.body.stores.every((s: any) => s.distanceMeters === null)).toBe(true);

    const limited = await shop(b.tenant.slug, `/vouchers/${b.codes.limited}/stores?lat=${near.lat}&lng=${near.lng}`, { cookie: b.cookie });
    expect(limited.body.restricted).toBe(true);
    expect(limited.body.stores.map((s: any) => s.id)).toEqual([b.stores.xujiahui, b.stores.sanlitun]);
    expect(limited.body.cities.sort()).toEqual(["上海", "北京"].sort());
  });

  it("says which stores are open now, in Shanghai time, overnight spans included", async () => {
    const b = await brand();
    const at = async (iso: string) => {
      const r = await storesForVoucher(env.DB, b.tenant.id, b.buyerId, b.codes.open, {}, new Date(iso));
      return Object.fromEntries(r.stores.map((s) => [s.name, [s.openNow, s.todayHours]]));
    };
    // 2026-09-11 is a Friday. 15:00Z = 23:00 in Shanghai: 南京西路 closed at 22:00, 徐家汇 open till 02:00.
    expect(await at("2026-09-11T15:00:00Z")).toMatchObject({ 南京西路店: [false, ALL_DAY], 徐家汇店: [true, ["10:00-02:00"]], 三里屯店: [null, null] });
    // Saturday 01:30 (Friday night's span); then Monday 01:30 after Sunday (closed) — 徐家汇 closed, no hours today.
    expect(await at("2026-09-11T17:30:00Z")).toMatchObject({ 南京西路店: [false, ALL_DAY], 徐家汇店: [true, ["10:00-02:00"]] });
    expect(await at("2026-09-13T17:30:00Z")).toMatchObject({ 南京西路店: [false, ALL_DAY], 徐家汇店: [false, []] });
    // Monday 10:00 in Shanghai is 02:00Z: open although it is still Sunday night in UTC.
    expect(await at("2026-09-14T02:00:00Z")).toMatchObject({ 南京西路店: [true, ALL_DAY] });
  });

  it("refuses bad input with field paths, another buyer's voucher and no session", async () => {
    const b = await brand();
    const bad = async (q: string) => {
      const r = await shop(b.tenant.slug, `/vouchers/${b.codes.open}/stores?${q}`, { cookie: b.cookie });
      expect(r.status).toBe(400);
      return r.body.error.issues.map((i: any) => i.path).sort();
    };
    expect(await bad("lat=91&lng=0")).toEqual(["query.lat"]);
    expect(await bad("lat=abc&lng=200")).toEqual(["query.lat", "query.lng"]);
    expect(await bad("lat=31.2")).toEqual(["query.lng"]);

    const stranger = await shop(b.tenant.slug, "/guest", { method: "POST", json: {} });
    expect((await shop(b.tenant.slug, `/vouchers/${b.codes.open}/stores`, { cookie: stranger.cookie })).status).toBe(404);
    expect((await shop(b.tenant.slug, `/vouchers/${b.codes.open}/stores`)).status).toBe(401);
    expect((await shop(b.tenant.slug, `/vouchers/NOPE-NOPE/stores`, { cookie: b.cookie })).status).toBe(404);

    // The operator's form: coordinates and hours validated, 400 with paths; a store of another tenant is 404.
    const form = await api("/stores", { method: "POST", token: b.adminKey, json: { name: "X", lat: -91, lng: 0, hours: { mon: ["9-21"], sun: ["22:00-22:00"] } } });
    expect(form.status).toBe(400);
    expect(form.body.error.issues.map((i: any) => i.path).sort()).toEqual(["json.hours.mon.0", "json.hours.sun.0", "json.lat"]);
    expect((await api(`/stores/${b.stores.nowhere}`, { method: "PATCH", token: b.adminKey, json: { lat: 31.2 } })).body.error.issues[0].path).toBe("json.lng");
    const moved = await api(`/stores/${b.stores.nowhere}`, { method: "PATCH", token: b.adminKey, json: { lat: 31.23, lng: 121.47, hours: { sun: ["00:00-24:00"] } } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ name: "无坐标店", city: "上海", lat: 31.23, lng: 121.47, hours: { sun: ["00:00-24:00"], mon: [] } });
    const other = await createTenant("Other");
    expect((await api(`/stores/${b.stores.nowhere}`, { method: "PATCH", token: other.adminKey, json: { city: "北京" } })).status).toBe(404);
    // Another tenant's shop does not know the code either.
    const otherGuest = await shop(other.tenant.slug, "/guest", { method: "POST", json: {} });
    expect((await shop(other.tenant.slug, `/vouchers/${b.codes.open}/stores`, { cookie: otherGuest.cookie })).status).toBe(404);
  });
});

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

describe("recommendations read from the edge cache", () => {
  it("serves the warehouse's co-purchases from D1, keeps them through a warehouse outage, per tenant", async () => {
    const b = await brand();
    const [video, music, draft] = [await product(b.tenant.id, "视频月卡"), await product(b.tenant.id, "音乐月卡"), await product(b.tenant.id, "草稿", "draft")];
    // Paid orders: u1 {video, music, draft}, u2 {video, music}, u3 {video, open}; our guest bought video.
    const paid = (user: string, productId: string, i: number) => ({
      type: "order_paid", occurredAt: daysAgo(2), actor: { userId: user }, payload: { orderId: `o-${user}-${i}`, productId, amountCents: 100 },
    });
    const events = [
      paid("u1", video, 1), paid("u1", music, 2), paid("u1", draft, 3), paid("u2", video, 4), paid("u2", music, 5),
      paid("u3", video, 6), paid("u3", b.open, 7), paid(b.buyerId, video, 8),
    ];
    expect((await api("/events/import", { method: "POST", token: b.adminKey, json: { events } })).status).toBe(202);
    await b.hold(video); // what the guest paid for, they hold

    // Events reach the warehouse through the queue: refresh until the cache has what they say.
    let state: any;
    for (let i = 0; i < 80; i++) {
      state = (await api("/recommendations/refresh", { method: "POST", token: b.adminKey })).body;
      // Both lists: the warehouse's queries run side by side and may see the queue's batches land between them.
      const also = await shop(b.tenant.slug, `/products/${video}/also-bought`);
      const top = await shop(b.tenant.slug, "/for-you");
      // …and the guest's own list (their paid order may land in a later batch than the others').
      const theirs = await shop(b.tenant.slug, "/for-you", { cookie: b.cookie });
      if (state.outcome === "refreshed" && also.body.items.length >= 2 && top.body.items.length >= 3 && theirs.body.source === "for_you") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toMatchObject({ outcome: "refreshed", lastError: null });
    const computedAt = state.computedAt;

    // video's buyers also bought music (2), then open (1); the draft is never shown; the product itself neither.
    const also = await shop(b.tenant.slug, `/products/${video}/also-bought`);
    expect(also.body).toMatchObject({ surface: "also_bought", source: "also_bought", computedAt });
    expect(also.body.items.map((i: any) => [i.id, i.score])).toEqual([[music, 2], [b.open, 1]]);
    expect(also.body.items[0]).toMatchObject({ name: "音乐月卡", priceCents: 100, kind: "coupon" });
    expect((await shop(b.tenant.slug, `/products/${draft}/also-bought`)).status).toBe(404);

    // For you: our guest bought video → music (2·2), open (2·1); open is held already (a voucher) → not shown, and
    // the top-up (top products) brings nothing they do not hold.
    const mine = await shop(b.tenant.slug, "/for-you", { cookie: b.cookie });
    expect(mine.body.source).toBe("for_you");
    expect(mine.body.items.map((i: any) => i.id)).toEqual([music]);
    // No session: the top products (draft filtered out at the edge).
    const anon = await shop(b.tenant.slug, "/for-you");
    expect(anon.body.source).toBe("top");
    expect(anon.body.items.map((i: any) => i.id)).toEqual([video, music, b.open]);

    // The warehouse goes down: the refresh fails, says why, and the cache stays as it was.
    const down = { ...env, WAREHOUSE_URL: "http://127.0.0.1:9" } as Env;
    expect(await refreshTenantRecommendations(down, b.tenant.id)).toBe("failed");
    const after = await api("/recommendations", { token: b.adminKey });
    expect(after.body).toMatchObject({ computedAt });
    expect(after.body.lastError).toMatch(/warehouse/i);
    expect((await shop(b.tenant.slug, `/products/${video}/also-bought`)).body.items.map((i: any) => i.id)).toEqual([music, b.open]);

    // Archived at the edge: gone from the lists at once, without a refresh.
    await env.DB.prepare("UPDATE products SET status = 'archived' WHERE id = ?").bind(music).run();
    expect((await shop(b.tenant.slug, `/products/${video}/also-bought`)).body.items.map((i: any) => i.id)).toEqual([b.open]);

    // Another tenant: its own (empty) cache, and not our products.
    const other = await createTenant("Other");
    expect((await shop(other.tenant.slug, `/products/${video}/also-bought`)).status).toBe(404);
    expect((await shop(other.tenant.slug, "/for-you")).body).toMatchObject({ source: "none", items: [] });
    expect((await api("/recommendations", { token: other.adminKey })).body).toMatchObject({ computedAt: null, lists: 0 });
  });

  it("the cron claims a tenant once per hour, and one whose last run failed or was empty again after 5 minutes, then 10, 20, 40, then hourly", async () => {
    const { tenant } = await createTenant("Cron Brand");
    const t0 = Date.parse("2030-01-01T00:00:00Z");
    const iso = (ms: number) => new Date(ms).toISOString();
    const claim = (at: number) => claimRun(env.DB, tenant.id, iso(at), iso(at - 3_600_000));
    expect(await claim(t0)).toBe(true);
    expect(await claim(t0 + 60_000)).toBe(false); // claimed a minute ago
    // The run failed (the warehouse is down): retried after 5 minutes, not before.
    expect(await refreshTenantRecommendations({ ...env, WAREHOUSE_URL: "http://127.0.0.1:9" } as Env, tenant.id, new Date(t0))).toBe("failed");
    expect(await claim(t0 + 240_000)).toBe(false);
    expect(await claim(t0 + 301_000)).toBe(true);
    // A good run with lists: hourly only.
    await env.DB.prepare("UPDATE recommendation_runs SET last_error = NULL, lists = 3, misses = 0 WHERE tenant_id = ?").bind(tenant.id).run();
    expect(await claim(t0 + 301_000 + 600_000)).toBe(false);
    expect(await tenantsDue(env.DB, iso(t0 + 301_000 + 600_000 - 3_600_000), iso(t0 + 301_000 + 600_000), 10_000)).not.toContain(tenant.id);
    let at = t0 + 301_000 + 3_601_000;
    expect(await claim(at)).toBe(true);

    // A brand with nothing to recommend (no sales yet): each empty run in a row waits twice as long, up to hourly, so
    // idle brands do not take the minute's few slots from brands with sales. A run with lists starts over.
    const empty = async () => writeRun(env.DB, tenant.id, crypto.randomUUID(), iso(at), [], 0);
    for (const minutes of [5, 10, 20, 40]) {
      await empty();
      const waited = async (m: number) => claim(at + m * 60_000);
      expect(await waited(minutes - 1)).toBe(false);
      expect(await tenantsDue(env.DB, iso(at + (minutes + 1) * 60_000 - 3_600_000), iso(at + (minutes + 1) * 60_000), 10_000)).toContain(tenant.id);
      expect(await waited(minutes + 1)).toBe(true);
      at += (minutes + 1) * 60_000;
    }
    await empty();
    expect(await claim(at + 59 * 60_000)).toBe(false);
    expect(await claim(at + 61 * 60_000)).toBe(true);
    at += 61 * 60_000;
    await writeRun(env.DB, tenant.id, crypto.randomUUID(), iso(at), [], 2);
    await empty();
    expect(await claim(at + 6 * 60_000)).toBe(true);
  });

  it("records recommendation_shown / _clicked through /track and refuses incomplete ones", async () => {
    const b = await brand();
    const track = (events: object[]) => api("/track", { method: "POST", json: { tenant: b.tenant.slug, deviceId: "dev-1", events } });
    const ok = await track([
      { type: "recommendation_shown", surface: "product", productId: b.open, items: 3 },
      { type: "recommendation_clicked", surface: "product", productId: b.limited, fromProductId: b.open, position: 1 },
    ]);
    expect(ok.status).toBe(202);
    expect(ok.body.accepted).toBe(2);
    const bad = await track([{ type: "recommendation_clicked", surface: "member", position: 0 }, { type: "recommendation_shown", productId: b.open }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: any) => i.path).sort()).toEqual(["json.events.0.productId", "json.events.1.items", "json.events.1.surface"]);
  });
});
