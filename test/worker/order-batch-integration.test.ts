import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOrder, type CreateOrderParams } from "../../worker/services/orders";
import { createOrders } from "../../worker/services/order-batch";
import { ApiError } from "../../worker/errors";
import { api, createTenant, recordedEvents } from "./helpers";
import { FUTURE, shopWithKeys } from "./commerce-helpers";

const claimOrder = (tenantId: string, productId: string, i: number, buyer = `byr_b${i}`): CreateOrderParams => ({
  tenantId, buyerId: buyer, productId, idempotencyKey: `claim:clm_${productId}_${i}`, source: "flash:cmp_x", campaignId: "cmp_x", unitPriceCents: 990, requirePublished: false,
});
const code = (o: { ok: boolean; error?: unknown }) => (o.ok ? "ok" : o.error instanceof ApiError ? o.error.code : String(o.error));

describe("many orders of one product in one transaction (won flash-sale claims)", { timeout: 60_000 }, () => {
  // The one transaction must hold (a failed one falls back to single orders, which would give the same answers).
  const warn = vi.spyOn(console, "warn");
  afterEach(() => {
    expect(warn.mock.calls.filter((c) => String(c[0]).includes("batch_failed"))).toEqual([]);
    warn.mockClear();
  });
  it("card keys: each order takes its own key, the rest are sold out, an earlier order under a key is answered as a repeat", async () => {
    const { tenant, productId } = await shopWithKeys(5, { lowStockThreshold: 2 });
    const earlier = await createOrder(env, claimOrder(tenant.id, productId, 0));
    const ps = Array.from({ length: 9 }, (_, i) => claimOrder(tenant.id, productId, i));
    const out = await createOrders(env, ps);

    expect(out.map(code)).toEqual(["ok", "ok", "ok", "ok", "ok", "sold_out", "sold_out", "sold_out", "sold_out"]);
    const first = out[0]!;
    expect(first.ok && first.value).toMatchObject({ created: false, order: { id: earlier.order.id } });
    const made = out.slice(1, 5).map((o) => (o.ok ? o.value : null)!);
    expect(made.every((m) => m.created && m.order.status === "created" && m.paymentId)).toBe(true);

    const keys = await env.DB.prepare("SELECT order_id FROM card_keys WHERE tenant_id = ? AND status = 'reserved'").bind(tenant.id).all<{ order_id: string }>();
    expect(new Set(keys.results.map((k) => k.order_id))).toEqual(new Set([earlier.order.id, ...made.map((m) => m.order.id)]));
    expect(keys.results).toHaveLength(5);
    const pays = await env.DB.prepare("SELECT order_id FROM payments WHERE tenant_id = ?").bind(tenant.id).all<{ order_id: string }>();
    expect(pays.results.map((p) => p.order_id).sort()).toEqual([earlier.order.id, ...made.map((m) => m.order.id)].sort());
    // The four that found no key were inserted, then cancelled with nothing held.
    const cancelled = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ? AND status = 'cancelled' AND failure_reason = 'out_of_stock'").bind(tenant.id).first<{ n: number }>();
    expect(cancelled!.n).toBe(4);

    const events = await recordedEvents(tenant.id);
    const created = events.filter((e) => e.type === "order_created").map((e) => (e.payload as { orderId: string }).orderId);
    expect(new Set(created).size).toBe(created.length);
    expect(created).toEqual(expect.arrayContaining(made.map((m) => m.order.id)));
    // low_stock once: from the order whose reservation crossed 2 keys left.
    expect(events.filter((e) => e.type === "low_stock")).toHaveLength(1);

    // The same keys again (a redelivered batch): the same orders, nothing new.
    const again = await createOrders(env, ps);
    expect(again.slice(0, 5).map((o) => o.ok && o.value.order.id)).toEqual([earlier.order.id, ...made.map((m) => m.order.id)]);
    expect(again.slice(0, 5).every((o) => o.ok && !o.value.created)).toBe(true);
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>();
    expect(n!.n).toBe(9);
  });

  it("counted stock: holds only what there is, one hold row per order taken, payments only for those; a per-buyer limit refuses the second order", async () => {
    const { tenant, adminKey } = await createTenant("Coupons");
    const product = await api("/products", {
      method: "POST", token: adminKey,
      json: { kind: "coupon", name: "20元券", priceCents: 1990, faceValueCents: 2000, validity: FUTURE, stockTotal: 3, perUserLimit: 1, lowStockThreshold: 0, config: { coupon: { thresholdCents: 0, discountCents: 2000 } } },
    });
    expect(product.status).toBe(201);
    const productId = product.body.id as string;
    // Buyer b1 wins twice (two claims): the second is over the per-buyer limit.
    const ps = [0, 1, 2, 3, 4].map((i) => claimOrder(tenant.id, productId, i, i === 2 ? "byr_b1" : `byr_b${i}`));
    const out = await createOrders(env, ps);
    expect(out.map(code)).toEqual(["ok", "ok", "purchase_limit", "ok", "sold_out"]);

    const p = await env.DB.prepare("SELECT stock_reserved, stock_sold FROM products WHERE id = ?").bind(productId).first();
    expect(p).toEqual({ stock_reserved: 3, stock_sold: 0 });
    const holds = await env.DB.prepare("SELECT order_id FROM order_stock_holds WHERE tenant_id = ? AND state = 'held'").bind(tenant.id).all<{ order_id: string }>();
    const ok = out.filter((o) => o.ok).map((o) => (o.ok ? o.value.order.id : ""));
    expect(holds.results.map((h) => h.order_id).sort()).toEqual([...ok].sort());
    const pays = await env.DB.prepare("SELECT order_id FROM payments WHERE tenant_id = ?").bind(tenant.id).all<{ order_id: string }>();
    expect(pays.results.map((r) => r.order_id).sort()).toEqual([...ok].sort());
  });

  it("gives the same answers as one createOrder after another would", async () => {
    const { tenant, productId } = await shopWithKeys(3);
    const { tenant: t2, productId: p2 } = await shopWithKeys(3);
    const batch = await createOrders(env, Array.from({ length: 5 }, (_, i) => claimOrder(tenant.id, productId, i)));
    const single: string[] = [];
    for (let i = 0; i < 5; i++) {
      single.push(await createOrder(env, claimOrder(t2.id, p2, i)).then(() => "ok", (e: unknown) => (e instanceof ApiError ? e.code : String(e))));
    }
    expect(batch.map(code)).toEqual(single);
  });
});
