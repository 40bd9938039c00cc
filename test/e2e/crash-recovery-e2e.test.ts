import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { signBody } from "../../worker/domain/signature";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { freePort } from "../../scripts/lib/free-port";
import { ApiClient } from "../../scripts/lib/http";
import { demoKeys, startStack, type Stack } from "../../scripts/lib/stack";

/**
 * The crash test: SIGKILL the whole stack (start.ts, wrangler, workerd, warehouse, suppliers) in the middle of a burst
 * of flash-sale claims, card-key payments and direct-recharge payments whose suppliers are slow, restart it on the
 * same state, and check the promises: every acknowledged claim has its order, every payment taken ends delivered or
 * refunded, no card key is delivered twice, no recharge is bought twice.
 */
const state = mkdtempSync(join(tmpdir(), "kaquan-crash-e2e-"));
let stack: Stack | null = null;
// Every order of the burst comes from 127.0.0.1.
process.env.KAQUAN_ORDER_IP_LIMIT ??= "1000";
process.env.KAQUAN_SESSION_IP_LIMIT ??= "100000";

afterAll(async () => {
  await stack?.stop();
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function d1(): DatabaseSync {
  const dir = join(state, ".wrangler/state/v3/d1/miniflare-D1DatabaseObject");
  const name = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  return new DatabaseSync(join(dir, name!), { readOnly: true, timeout: 5_000 });
}

function query<T>(sql: string, ...args: (string | number)[]): T[] {
  const db = d1();
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

describe("crash and restart on the real stack", () => {
  it("SIGKILL during a burst of claims, card-key orders and recharges: nothing acknowledged is lost or applied twice", async () => {
    const ports = { port: await freePort(), warehousePort: await freePort() };
    stack = await startStack(state, ports);
    const base = stack.baseUrl;
    const { keys } = demoKeys(state);
    const admin = new ApiClient(base, keys.admin);
    const shop = new ApiClient(base);

    // Slow suppliers (below the worker's 2 s timeout), no injected errors: recharges are in flight when the stack dies.
    const supplierUrl = /Suppliers\s+(http:\/\/\S+)\/health/.exec(stack.output())![1]!;
    const secret = loadDevVars().SUPPLIER_SANDBOX_SECRET!;
    for (const name of ["cheapco", "steadyco"]) {
      const body = JSON.stringify({ latencyMs: [900, 1400], errorRate: 0, timeoutRate: 0 });
      const res = await fetch(`${supplierUrl}/${name}/admin/faults`, { method: "POST", headers: { "x-supplier-signature": await signBody(secret, body) }, body });
      expect(res.status).toBe(200);
    }

    const { products } = await shop.ok<{ products: { id: string; kind: string; name: string }[] }>("GET", "/shop/demo/products");
    const video = products.find((p) => p.name === "视频会员月卡")!;
    const music = products.find((p) => p.name === "音乐会员月卡")!;
    const phone = products.find((p) => p.kind === "direct_recharge")!;
    const startsAt = Date.now() + 4_000;
    const campaign = await admin.ok<{ id: string }>("POST", "/campaigns", {
      kind: "flash_sale", name: "crash test", productId: music.id, priceCents: 500, stock: 14, perUserLimit: 1, shards: 2,
      startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 30 * 60_000).toISOString(),
    });
    const tokens = await Promise.all(Array.from({ length: 14 }, async () =>
      (await shop.ok<{ token: string }>("POST", `/public/campaigns/${campaign.id}/session`)).token));
    const order = async (productId: string, i: number, body: Record<string, unknown> = {}) =>
      shop.ok<{ id: string; checkoutUrl: string }>("POST", "/shop/demo/orders", { productId, ...body }, { "idempotency-key": `crash-${productId}-${i}` });
    const cardOrders = await Promise.all(Array.from({ length: 8 }, (_, i) => order(video.id, i)));
    const rechargeOrders = await Promise.all(Array.from({ length: 8 }, (_, i) => order(phone.id, i, { rechargeAccount: `1380013${String(8000 + i)}` })));
    await sleep(Math.max(0, startsAt - Date.now() + 200));
    // One claim per shard first, so the burst meets started shards (the first claim freezes the campaign).
    const warm: string[] = [];
    for (let i = 0; i < 20 && warm.length < 2; i++) {
      const r = await shop.request("POST", `/public/campaigns/${campaign.id}/claims`, {}, { authorization: `Bearer ${tokens[warm.length]}` });
      if (r.status === 200) warm.push(r.data.claimId);
      else await sleep(500);
    }
    expect(warm).toHaveLength(2);

    // The burst. The stack is killed as soon as two recharge payments are acknowledged: their deliveries, event imports
    // and perhaps some claims' orders (made by the shards' outboxes a little after each claim) are still in flight.
    const ackedClaims: string[] = [...warm];
    const ackedPays: { orderId: string; kind: string; status: string }[] = [];
    let rechargeAcks = 0;
    let importsAcked = 0;
    let importsTried = 0;
    let killed: Promise<void> | null = null;
    const kill = () => (killed ??= stack!.crash());
    // Payments start only once six claims and two event imports are acknowledged, so on a slow machine the recharges
    // are still with their slow suppliers when the stack dies (CI once saw every one delivered before the kill).
    let openGate = () => {};
    const gate = new Promise<void>((r) => (openGate = r));
    const maybeKill = () => {
      if (ackedClaims.length >= 6 && importsAcked >= 2) openGate();
      if (rechargeAcks >= 2) void kill();
    };
    const pay = async (o: { id: string; checkoutUrl: string }, kind: string) => {
      await gate;
      if (killed) return;
      const res = await fetch(`${base}${o.checkoutUrl}/pay`, { method: "POST" }).catch(() => null);
      if (res?.status !== 200) return;
      const body = (await res.json().catch(() => null)) as { orderStatus: string } | null;
      if (!body || killed) return; // an answer that raced the kill is not counted as seen
      ackedPays.push({ orderId: o.id, kind, status: body.orderStatus });
      if (kind === "recharge") rechargeAcks++;
      maybeKill();
    };
    const claim = async (token: string) => {
      const res = await fetch(`${base}/api/v1/public/campaigns/${campaign.id}/claims`, {
        method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}",
      }).catch(() => null);
      if (res?.status !== 200) return;
      const body = (await res.json().catch(() => null)) as { claimId: string } | null;
      if (body && !killed) ackedClaims.push(body.claimId);
      maybeKill();
    };
    // Alongside, a brand backfills events (import, Chinese labels) until the kill: each acknowledged import (202) must
    // reach the warehouse after the restart, though the local Queue broker loses what it held.
    const window = Date.now() - 300 * 86_400_000;
    const label = "双十一限时秒杀活动".repeat(25).slice(0, 200);
    const importer = async () => {
      for (let b = 0; !killed && b < 40; b++) {
        importsTried++;
        const events = Array.from({ length: 1000 }, (_, i) => ({
          eventId: `crash-import-${b}-${i}`, type: "page_view", occurredAt: new Date(window + b * 1000 + i).toISOString(),
          actor: { userId: `backfill-${i % 300}` }, payload: { path: label, utmSource: label, utmCampaign: label },
        }));
        const res = await fetch(`${base}/api/v1/events/import`, {
          method: "POST", headers: { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" }, body: JSON.stringify({ events }),
        }).catch(() => null);
        if (res?.status === 202 && !killed) importsAcked++;
        maybeKill();
      }
    };
    await Promise.all([
      Promise.all([importer(), ...tokens.slice(2).map(claim)]).finally(openGate),
      ...cardOrders.map((o) => pay(o, "card_key")),
      ...rechargeOrders.map((o) => pay(o, "recharge")),
    ]);
    await kill();
    stack = null;
    expect(ackedClaims.length).toBeGreaterThanOrEqual(6);
    expect(ackedPays.filter((p) => p.kind === "recharge").length).toBeGreaterThanOrEqual(2);

    // What the crash left: payments taken for orders not yet delivered (the defect: these stayed 'paid' forever).
    const charged = () =>
      query<{ id: string; status: string; kind: string; quantity: number }>(
        `SELECT o.id, o.status, pr.kind, o.quantity FROM orders o JOIN payments p ON p.order_id = o.id AND p.kind = 'charge' AND p.status = 'succeeded'
         JOIN products pr ON pr.id = o.product_id WHERE o.idempotency_key LIKE 'crash-%'`,
      );
    const stranded = charged().filter((o) => o.status === "paid");
    expect(stranded.length, JSON.stringify({ ackedPays, charged: charged() })).toBeGreaterThan(0);

    stack = await startStack(state, ports);
    const claimKeys = ackedClaims.map((id) => `claim:${id}`);
    const settled = () => {
      const open = charged().filter((o) => !["delivered", "refunded"].includes(o.status));
      const marks = claimKeys.map(() => "?").join(",");
      const claimOrders = query<{ n: number }>(`SELECT count(*) AS n FROM orders WHERE idempotency_key IN (${marks})`, ...claimKeys)[0]!.n;
      return { open: open.length, missingClaimOrders: claimKeys.length - claimOrders };
    };
    // The cron (fired by start.ts at start and every minute; here every few seconds) takes each paid order whose
    // lease lapsed; the shards' outboxes resume on their own.
    // A recharge line the supplier never received is sent to the next supplier only 2 minutes after it was placed
    // (services/supplier-orders.ts: a slow supplier may still deliver it), so this waits up to 4 minutes.
    let now = settled();
    for (const deadline = Date.now() + 240_000; Date.now() < deadline && (now.open || now.missingClaimOrders);) {
      await fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.body?.cancel(), () => undefined);
      await sleep(3_000);
      now = settled();
    }
    const open = charged().filter((o) => !["delivered", "refunded"].includes(o.status)).map((o) => o.id);
    const lines = open.length
      ? query(`SELECT order_id, supplier_id, status, detail, created_at, settled_at, polled_at FROM supplier_orders WHERE order_id IN (${open.map(() => "?").join(",")})`, ...open)
      : [];
    expect(now, JSON.stringify({ open: charged().filter((o) => open.includes(o.id)), lines })).toEqual({ open: 0, missingClaimOrders: 0 });

    // Every acknowledged import is in the warehouse, none twice (the journal's resend comes a minute after the send).
    expect(importsAcked).toBeGreaterThan(0);
    const analyst = new ApiClient(base, keys.analyst ?? keys.admin);
    const imported = async () => {
      const q = `from=${new Date(window - 60_000).toISOString()}&to=${new Date(window + 3_600_000).toISOString()}`;
      const r = await analyst.request("GET", `/analytics/data_source?${q}`);
      return r.status === 200 ? (r.data as { rows: { events: number }[] }).rows[0]?.events ?? 0 : -1;
    };
    let landed = await imported();
    for (const deadline = Date.now() + 180_000; Date.now() < deadline && landed < importsAcked * 1000;) {
      await fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.body?.cancel(), () => undefined);
      await sleep(3_000);
      landed = await imported();
    }
    expect(landed, JSON.stringify({ importsAcked, importsTried })).toBeGreaterThanOrEqual(importsAcked * 1000);
    expect(landed).toBeLessThanOrEqual(importsTried * 1000);

    // Every acknowledged payment ended delivered or refunded, with exactly its vouchers.
    const final = new Map(charged().map((o) => [o.id, o]));
    for (const p of ackedPays) expect(["delivered", "refunded"]).toContain(final.get(p.orderId)?.status);
    for (const o of final.values()) {
      const n = query<{ n: number }>("SELECT count(*) AS n FROM vouchers WHERE order_id = ? AND status != 'refunded'", o.id)[0]!.n;
      expect(n, `vouchers of ${o.id} (${o.status})`).toBe(o.status === "delivered" ? o.quantity : 0);
    }
    // No one-shot card key went to two vouchers or two orders.
    expect(query("SELECT card_key_id FROM vouchers WHERE card_key_id IS NOT NULL GROUP BY card_key_id HAVING count(*) > 1")).toEqual([]);
    expect(query(
      `SELECT k.id FROM card_keys k JOIN vouchers v ON v.card_key_id = k.id WHERE k.reusable = 0 AND (k.status != 'delivered' OR k.order_id != v.order_id)`,
    )).toEqual([]);
    // No recharge bought twice: each order reference completed at one supplier at most, and it is the one on the voucher.
    const upstream = new Map<string, string[]>();
    for (const name of ["cheapco", "steadyco"]) {
      const newUrl = /Suppliers\s+(http:\/\/\S+)\/health/.exec(stack.output())![1]!;
      const res = await fetch(`${newUrl}/${name}/admin/orders`, { headers: { "x-supplier-signature": await signBody(secret, "") } });
      for (const o of ((await res.json()) as { orders: { orderRef: string; supplierRef: string }[] }).orders) {
        upstream.set(o.orderRef, [...(upstream.get(o.orderRef) ?? []), o.supplierRef]);
      }
    }
    for (const o of [...final.values()].filter((x) => x.kind === "direct_recharge")) {
      const refs = upstream.get(`${o.id}:${phone.id}`) ?? [];
      expect(refs.length, `supplier orders of ${o.id}`).toBeLessThanOrEqual(1);
      if (o.status === "delivered") {
        const meta = JSON.parse(query<{ meta: string }>("SELECT meta FROM vouchers WHERE order_id = ?", o.id)[0]!.meta) as { supplierRef: string };
        expect(refs).toEqual([meta.supplierRef]);
      }
    }
  }, 600_000);
});
