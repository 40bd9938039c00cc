import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, releaseExpired } from "../../worker/services/orders";
import { expireUnpaidOrders } from "../../worker/services/order-expiry";
import { api, recordedEvents } from "./helpers";
import { pay, shop, shopWithKeys } from "./commerce-helpers";

describe("orders under real concurrency", { timeout: 60_000 }, () => {
  it("300 buyers, 20 keys: 20 orders, no key reserved or delivered twice, stock never negative", { timeout: 180_000 }, async () => {
    const { slug, productId, tenant, adminKey } = await shopWithKeys(20);
    const attempts = await Promise.all(
      Array.from({ length: 300 }, (_, i) => shop(slug, "/orders", { method: "POST", idem: `buyer-${i}-order`, json: { productId } })),
    );
    const created = attempts.filter((a) => a.status === 201);
    const soldOut = attempts.filter((a) => a.status === 409 && a.body.error.code === "sold_out");
    expect(created).toHaveLength(20);
    expect(soldOut).toHaveLength(280);
    expect(attempts.every((a) => a.status < 500)).toBe(true);

    const reserved = await env.DB.prepare("SELECT order_id, COUNT(*) AS n FROM card_keys WHERE tenant_id = ? GROUP BY order_id").bind(tenant.id).all<{ order_id: string; n: number }>();
    expect(reserved.results).toHaveLength(20);
    expect(reserved.results.every((r) => r.n === 1)).toBe(true);

    // Every buyer pays; the gateway's callback is also replayed concurrently three times per order.
    const paid = await Promise.all(created.flatMap((o) => [pay(o.body.checkoutUrl), pay(o.body.checkoutUrl), pay(o.body.checkoutUrl)]));
    expect(paid.filter((p) => p.status === 200).length).toBeGreaterThanOrEqual(20);
    expect(paid.every((p) => p.status === 200 || p.status === 409)).toBe(true);

    const views = await Promise.all(created.map((o) => shop(slug, `/orders/${o.body.id}`, { cookie: o.cookie })));
    const secrets = views.flatMap((v) => v.body.vouchers.map((x: any) => x.secret));
    expect(views.every((v) => v.body.order.status === "delivered")).toBe(true);
    expect(secrets).toHaveLength(20);
    expect(new Set(secrets).size).toBe(20);

    const stock = await api(`/products/${productId}/stock`, { token: adminKey });
    expect(stock.body).toMatchObject({ available: 0, reserved: 0, delivered: 20, total: 20 });
    const vouchers = await env.DB.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT card_key_id) AS k FROM vouchers WHERE tenant_id = ?").bind(tenant.id).first<{ n: number; k: number }>();
    expect(vouchers).toEqual({ n: 20, k: 20 });
  });

  it("the same Idempotency-Key returns the same order; another body with it is refused", async () => {
    const { slug, productId } = await shopWithKeys(3);
    const first = await shop(slug, "/orders", { method: "POST", idem: "same-key-123", json: { productId } });
    expect(first.status).toBe(201);
    const again = await Promise.all(Array.from({ length: 10 }, () => shop(slug, "/orders", { method: "POST", idem: "same-key-123", cookie: first.cookie, json: { productId } })));
    expect(again.every((a) => a.status === 200 && a.body.id === first.body.id)).toBe(true);
    const other = await shop(slug, "/orders", { method: "POST", idem: "same-key-123", cookie: first.cookie, json: { productId, quantity: 2 } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("idempotency_key_reused");
  });

  it("a payment the gateway took whose notice never came is credited when the order would lapse: the key stays with the payer", async () => {
    const { slug, productId, tenant } = await shopWithKeys(1);
    const o = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_x", productId, idempotencyKey: "lapse-0001", reserveSeconds: -1 });
    expect(o.order.status).toBe("created");
    // Paid at the gateway just before the order lapsed; the notice is lost (e.g. our runtime died while taking it).
    const { sandboxPaidCallback } = await import("../../worker/payments/sandbox");
    const late = await sandboxPaidCallback(env, o.paymentId!);
    // Another buyer's order asks for the stock: the lapsed order is not expired (its gateway says paid), so no key.
    const second = await shop(slug, "/orders", { method: "POST", idem: "second-buyer", json: { productId } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("sold_out");
    // The minute cron credits the payment as its notice would have: delivered, one key, no refund. (Its count is not
    // asserted: the worker test files share one database, and another file's order may lapse in the same run.)
    await expireUnpaidOrders(env);
    const row = await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(o.order.id).first<{ status: string }>();
    expect(row!.status).toBe("delivered");
    const keys = await env.DB.prepare("SELECT order_id FROM card_keys WHERE tenant_id = ?").bind(tenant.id).all<{ order_id: string }>();
    expect(keys.results.map((k) => k.order_id)).toEqual([o.order.id]);
    await expireUnpaidOrders(env);
    // The notice arriving after all changes nothing (no second delivery, no refund).
    const notice = await exports.default.fetch("http://kaquan.test/api/v1/pay/callback/sandbox", {
      method: "POST", headers: { "content-type": "application/json", "x-sandbox-signature": late.signature }, body: late.body,
    });
    expect(notice.status).toBe(200);
    expect(((await notice.json()) as { orderStatus: string }).orderStatus).toBe("delivered");
    const payments = await env.DB.prepare("SELECT kind, status FROM payments WHERE order_id = ? ORDER BY created_at").bind(o.order.id).all();
    expect(payments.results).toEqual([{ kind: "charge", status: "succeeded" }]);
    const paid = (await recordedEvents(tenant.id)).filter((e) => e.type === "order_paid" && (e.payload as { orderId?: string }).orderId === o.order.id);
    expect(paid).toHaveLength(1);
  });

  it("a lapsed reservation goes back to stock once, however often the cron runs", async () => {
    const { slug, productId, tenant } = await shopWithKeys(1);
    const o = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_x2", productId, idempotencyKey: "lapse-0003", reserveSeconds: -1 });
    const second = await shop(slug, "/orders", { method: "POST", idem: "second-buyer-2", json: { productId } });
    expect(second.status).toBe(201);
    const keys = await env.DB.prepare("SELECT order_id FROM card_keys WHERE tenant_id = ?").bind(tenant.id).all<{ order_id: string }>();
    expect(keys.results[0]!.order_id).toBe(second.body.id);
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(o.order.id).first<{ status: string }>())!.status).toBe("expired");
    expect((await releaseExpired(env, tenant.id)).expired).toBe(0);
    // Expired, key back and order_cancelled in one batch: recorded once, however often the cron runs.
    const cancelled = (await recordedEvents(tenant.id)).filter((e) => e.type === "order_cancelled" && (e.payload as { orderId?: string }).orderId === o.order.id);
    expect(cancelled.map((e) => (e.payload as { reason?: string }).reason)).toEqual(["expired"]);
    expect((await pay(second.body.checkoutUrl)).body.orderStatus).toBe("delivered");
  });

  it("an order that lapsed unpaid has its charge closed at the gateway: paying it later is refused there", async () => {
    const { productId, tenant } = await shopWithKeys(1);
    const o = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_y", productId, idempotencyKey: "lapse-0002", reserveSeconds: -1 });
    expect((await releaseExpired(env, tenant.id)).expired).toBe(1);
    expect(await pay(`/api/v1/pay/sandbox/checkout/${o.paymentId}`)).toMatchObject({ status: 409, body: { error: { code: "charge_closed" } } });
    expect((await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(o.order.id).first<{ status: string }>())!.status).toBe("expired");
  });

  it("cancel releases the key; a stranger cannot see or cancel the order", async () => {
    const { slug, productId, adminKey } = await shopWithKeys(1);
    const o = await shop(slug, "/orders", { method: "POST", idem: "cancel-me-1", json: { productId } });
    expect((await shop(slug, `/orders/${o.body.id}`)).status).toBe(401);
    const stranger = await shop(slug, "/guest", { method: "POST" });
    expect((await shop(slug, `/orders/${o.body.id}`, { cookie: stranger.cookie })).status).toBe(404);
    expect((await shop(slug, `/orders/${o.body.id}/cancel`, { method: "POST", cookie: stranger.cookie })).status).toBe(404);
    const c = await shop(slug, `/orders/${o.body.id}/cancel`, { method: "POST", cookie: o.cookie });
    expect(c.body.status).toBe("cancelled");
    expect((await api(`/products/${productId}/stock`, { token: adminKey })).body.available).toBe(1);
    expect((await shop(slug, `/orders/${o.body.id}/cancel`, { method: "POST", cookie: o.cookie })).status).toBe(409);
  });

  it("per-user limit holds under concurrency", async () => {
    const { slug, productId } = await shopWithKeys(10, { perUserLimit: 2 });
    const g = await shop(slug, "/guest", { method: "POST" });
    const tries = await Promise.all(Array.from({ length: 8 }, (_, i) => shop(slug, "/orders", { method: "POST", idem: `limit-${i}-x`, cookie: g.cookie, json: { productId } })));
    expect(tries.filter((t) => t.status === 201)).toHaveLength(2);
    expect(tries.filter((t) => t.status === 409 && t.body.error.code === "purchase_limit")).toHaveLength(6);
  });

  it("bad input is a 4xx with field paths and changes nothing", async () => {
    const { slug, productId, adminKey } = await shopWithKeys(1);
    const noKey = await shop(slug, "/orders", { method: "POST", json: { productId } });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.issues[0].path).toContain("idempotency-key");
    const badQty = await shop(slug, "/orders", { method: "POST", idem: "bad-qty-001", json: { productId, quantity: 0 } });
    expect(badQty.status).toBe(400);
    expect(badQty.body.error.issues[0].path).toBe("json.quantity");
    expect((await shop(slug, "/orders", { method: "POST", idem: "bad-prod-01", json: { productId: "prd_nope" } })).status).toBe(404);
    expect((await shop("no-such-shop", "/products")).status).toBe(404);
    expect((await api(`/products/${productId}/stock`, { token: adminKey })).body.available).toBe(1);
  });

  it("one IP cannot hoard stock with throwaway guest sessions", async () => {
    const { slug, productId } = await shopWithKeys(200);
    // The limiter's windows are wall-clock minutes (a sliding estimate across two): a burst that straddles a minute's
    // end may pass one more. Start it well inside a minute, as a loaded machine stretches it over seconds.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 20_000) await new Promise((r) => setTimeout(r, left + 100));
    // Throwaway guests are capped by the session limit (20 a minute); each session's orders by the order limit.
    const sessions = await Promise.all(Array.from({ length: 13 }, () => shop(slug, "/guest", { method: "POST", ip: "203.0.113.9" })));
    const tries = await Promise.all(Array.from({ length: 130 }, (_, i) => shop(slug, "/orders", { method: "POST", ip: "203.0.113.9", cookie: sessions[i % 13]!.cookie, idem: `hoard-${i}-x`, json: { productId } })));
    expect(tries.filter((t) => t.status === 201)).toHaveLength(120);
    const limited = tries.filter((t) => t.status === 429);
    expect(limited).toHaveLength(10);
    expect(limited[0]!.body.error.code).toBe("rate_limited");
  });

  it("one buyer holds at most one full order's worth of a product unpaid, even when asking all at once", async () => {
    const { slug, productId } = await shopWithKeys(60);
    const { cookie } = await shop(slug, "/guest", { method: "POST" });
    const tries = await Promise.all(Array.from({ length: 15 }, (_, i) => shop(slug, "/orders", { method: "POST", cookie, idem: `hold-${i}-x`, json: { productId, quantity: 5 } })));
    const placed = tries.filter((t) => t.status === 201);
    expect(placed).toHaveLength(2);
    const refused = tries.filter((t) => t.status === 409);
    expect(refused).toHaveLength(13);
    expect(refused[0]!.body.error.code).toBe("too_many_unpaid");
    // The same request again is the same order, not a refusal.
    const i = tries.indexOf(placed[0]!);
    const again = await shop(slug, "/orders", { method: "POST", cookie, idem: `hold-${i}-x`, json: { productId, quantity: 5 } });
    expect(again.body.id).toBe(placed[0]!.body.id);
    // Paid, the units no longer count: the buyer may order again.
    expect((await pay(placed[0]!.body.checkoutUrl)).status).toBe(200);
    expect((await shop(slug, "/orders", { method: "POST", cookie, idem: "hold-after-pay", json: { productId, quantity: 5 } })).status).toBe(201);
  });
});
