import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getOrderRow } from "../../worker/db/orders";
import { getProductRow } from "../../worker/db/products";
import { createOrder, draftOrder, placeStmts, requestHashOf, type CreateOrderParams } from "../../worker/services/orders";
import { expireUnpaidOrders } from "../../worker/services/order-expiry";
import type { Combination } from "../../worker/domain/coupon-pricing";
import { couponProduct, issueCoupon, shop, shopWithKeys } from "./commerce-helpers";
import { api, countRows } from "./helpers";

/**
 * A free order (nothing to pay: a won ¥0 claim, a reward, coupons covering the price) is paid and delivered by the
 * request that places it. These tests commit the order's own batch, as that request does, and stop there — the request
 * died — then retry under the same key or let the expiry find it.
 */
async function crashedFree(p: CreateOrderParams, coupons?: Combination) {
  const product = (await getProductRow(env.DB, p.tenantId, p.productId))!;
  const d = draftOrder(env, p, product, await requestHashOf(p), coupons);
  await env.DB.batch(placeStmts(env, d, product));
  expect((await getOrderRow(env.DB, p.tenantId, d.order.id))!.status).toBe("created");
  return d.order.id;
}

async function buyerOf(slug: string) {
  const g = await shop(slug, "/guest", { method: "POST" });
  return g.body.buyer.id as string;
}

const vouchersOf = (tenantId: string, orderId: string) => countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND order_id = ?", tenantId, orderId);
const lapse = (orderId: string) => env.DB.prepare("UPDATE orders SET reserved_until = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(orderId).run();

describe("a free order whose request died after its batch", () => {
  it("is delivered once by its retries (in parallel), or else by the expiry, instead of lapsing unpaid", async () => {
    const s = await shopWithKeys(0);
    const couponId = await couponProduct(s.adminKey, { kind: "threshold", thresholdCents: 0, discountCents: 500 }, "满0减5");
    const buyerId = await buyerOf(s.slug);
    const p: CreateOrderParams = { tenantId: s.tenant.id, buyerId, productId: couponId, idempotencyKey: `claim-${buyerId}`, unitPriceCents: 0, source: "reward" };
    const first = await crashedFree(p);

    // Before: the retry answered the 'created' order (no payment, nothing delivered) and the expiry cancelled it.
    const retries = await Promise.all([1, 2, 3].map(() => createOrder(env, p)));
    for (const r of retries) expect(r.order.id).toBe(first);
    expect((await getOrderRow(env.DB, s.tenant.id, first))!.status).toBe("delivered");
    expect(await vouchersOf(s.tenant.id, first)).toBe(1);

    // Nobody retries: its reservation is two minutes (not the 15 of an order waiting for a payment), then the expiry.
    const second = await crashedFree({ ...p, idempotencyKey: `claim2-${buyerId}` });
    expect(Date.parse((await getOrderRow(env.DB, s.tenant.id, second))!.reserved_until!) - Date.now()).toBeLessThanOrEqual(120_000);
    await lapse(second);
    await expireUnpaidOrders(env);
    expect((await getOrderRow(env.DB, s.tenant.id, second))!.status).toBe("delivered");
    expect(await vouchersOf(s.tenant.id, second)).toBe(1);
  });

  it("takes its stock when the batch held none, and is refused as sold out (not delivered beyond the stock) when there is none", async () => {
    const s = await shopWithKeys(0);
    const created = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "限量券", priceCents: 0, faceValueCents: 0, validity: { kind: "relative", days: 30 }, scope: "商城", stockTotal: 1, config: { coupon: { online: true, kind: "threshold", thresholdCents: 0, discountCents: 100 } } },
    });
    expect(created.status).toBe(201);
    const productId = created.body.id as string;
    expect((await api(`/products/${productId}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const [a, b] = [await buyerOf(s.slug), await buyerOf(s.slug)];
    const pa: CreateOrderParams = { tenantId: s.tenant.id, buyerId: a, productId, idempotencyKey: `ka-${a}`, unitPriceCents: 0 };
    const pb: CreateOrderParams = { tenantId: s.tenant.id, buyerId: b, productId, idempotencyKey: `kb-${b}`, unitPriceCents: 0 };
    // A's batch took the one unit; B's batch found none (its request would have cancelled it as sold out, had it lived).
    const orderA = await crashedFree(pa);
    const orderB = await crashedFree(pb);
    expect(await countRows("SELECT COUNT(*) AS n FROM order_stock_holds WHERE order_id = ? AND state = 'held'", orderB)).toBe(0);

    const retryB = await createOrder(env, pb).then(() => null, (e) => e);
    expect(retryB?.code).toBe("sold_out");
    expect((await getOrderRow(env.DB, s.tenant.id, orderB))!.status).toBe("cancelled");
    expect(await vouchersOf(s.tenant.id, orderB)).toBe(0);

    expect((await createOrder(env, pa)).order.status).toBe("delivered");
    const stock = await env.DB.prepare("SELECT stock_total, stock_reserved, stock_sold FROM products WHERE id = ?").bind(productId).first();
    expect(stock).toEqual({ stock_total: 1, stock_reserved: 0, stock_sold: 1 });
    expect(await vouchersOf(s.tenant.id, orderA)).toBe(1);
  });

  it("is delivered when the coupons that made it free are on it, and cancelled with them given back when they are not", async () => {
    const s = await shopWithKeys(3);
    const couponId = await couponProduct(s.adminKey, { kind: "threshold", thresholdCents: 0, discountCents: 1990 }, "满0减19.9");
    const buyerId = await buyerOf(s.slug);
    const combo = (voucherId: string): Combination => ({ applied: [{ voucherId, productId: couponId, kind: "threshold", discountCents: 1990 }], discountCents: 1990, totalCents: 0 });

    const v1 = await issueCoupon(s.tenant.id, buyerId, couponId);
    const p1: CreateOrderParams = { tenantId: s.tenant.id, buyerId, productId: s.productId, idempotencyKey: `free-by-coupon-${buyerId}`, couponVoucherIds: [v1] };
    const o1 = await crashedFree(p1, combo(v1));
    expect((await createOrder(env, p1)).order.status).toBe("delivered");
    expect(await vouchersOf(s.tenant.id, o1)).toBe(1);

    // The coupon was used by another order meanwhile: this one's batch took its key but not the coupon.
    const v2 = await env.DB.prepare("SELECT id FROM vouchers WHERE tenant_id = ? AND order_id = (SELECT id FROM orders WHERE idempotency_key = ?)").bind(s.tenant.id, `issue-${buyerId}-${couponId}`).first<{ id: string }>();
    expect(v2!.id).toBe(v1);
    const p2: CreateOrderParams = { ...p1, idempotencyKey: `free-by-used-coupon-${buyerId}` };
    const o2 = await crashedFree(p2, combo(v1));
    expect(await countRows("SELECT COUNT(*) AS n FROM card_keys WHERE order_id = ? AND status = 'reserved'", o2)).toBe(1);
    const retry = await createOrder(env, p2).then(() => null, (e) => e);
    expect(retry?.code).toBe("coupon_unavailable");
    const row = (await getOrderRow(env.DB, s.tenant.id, o2))!;
    expect([row.status, row.failure_reason]).toEqual(["cancelled", "coupon_unavailable"]);
    expect(await vouchersOf(s.tenant.id, o2)).toBe(0);
    expect(await countRows("SELECT COUNT(*) AS n FROM card_keys WHERE order_id = ?", o2)).toBe(0);

    // Nobody retries such an order: the expiry lets it lapse as any unpaid order (nothing delivered for free).
    const o3 = await crashedFree({ ...p1, idempotencyKey: `free-lapsing-${buyerId}` }, combo(v1));
    await lapse(o3);
    await expireUnpaidOrders(env);
    expect((await getOrderRow(env.DB, s.tenant.id, o3))!.status).toBe("expired");
    expect(await vouchersOf(s.tenant.id, o3)).toBe(0);
  });
});
