import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../../worker/scheduled";
import { createOrder } from "../../worker/services/orders";
import { api } from "./helpers";
import { pay, shop, shopWithKeys } from "./commerce-helpers";

type Bucket = { product_id: string; status: string; reusable: number; n: number };

/** What the triggers keep (schema/d1/0199), and the same counted from the keys themselves: they must agree. */
async function kept(tenantId: string) {
  const { results } = await env.DB.prepare(
    "SELECT product_id, status, reusable, n FROM card_key_stock WHERE tenant_id = ? AND n != 0 ORDER BY product_id, status, reusable",
  ).bind(tenantId).all<Bucket>();
  return results;
}
async function counted(tenantId: string) {
  const { results } = await env.DB.prepare(
    "SELECT product_id, status, reusable, COUNT(*) AS n FROM card_keys WHERE tenant_id = ? GROUP BY product_id, status, reusable ORDER BY product_id, status, reusable",
  ).bind(tenantId).all<Bucket>();
  return results;
}

describe("card-key stock counts", { timeout: 90_000 }, () => {
  it("follow every move of a key (import, concurrent orders, cancel, payment, lapse, void, delete) and equal a count of the keys", async () => {
    const { tenant, adminKey, productId, slug } = await shopWithKeys(8);
    const stock = async () => (await api(`/products/${productId}/stock`, { token: adminKey })).body;
    expect(await stock()).toEqual({ available: 8, reserved: 0, delivered: 0, total: 8 });
    expect(await kept(tenant.id)).toEqual(await counted(tenant.id));

    // A duplicate in the import is refused and not counted.
    const dup = await api(`/products/${productId}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: "STOCK-ONE-0001" }, { line: 2, secret: "STOCK-ONE-0001" }] } });
    expect(dup.body).toMatchObject({ inserted: 1 });
    expect(await stock()).toMatchObject({ available: 9, total: 9 });

    // Five guests order at once: five keys reserved, none counted twice.
    const orders = await Promise.all(Array.from({ length: 5 }, (_, i) => shop(slug, "/orders", { method: "POST", json: { productId }, idem: `stock-order-${i}` })));
    expect(orders.map((o) => o.status)).toEqual([201, 201, 201, 201, 201]);
    expect(await stock()).toEqual({ available: 4, reserved: 5, delivered: 0, total: 9 });
    expect(await kept(tenant.id)).toEqual(await counted(tenant.id));

    const cancelled = await shop(slug, `/orders/${orders[0]!.body.id}/cancel`, { method: "POST", cookie: orders[0]!.cookie });
    expect(cancelled.status).toBe(200);
    expect((await pay(orders[1]!.body.checkoutUrl)).status).toBe(200);
    expect(await stock()).toEqual({ available: 5, reserved: 3, delivered: 1, total: 9 });

    // A lapsed reservation goes back to stock through the cron.
    await createOrder(env, { tenantId: tenant.id, buyerId: "byr_stock_lapse", productId, idempotencyKey: "stock-lapse", reserveSeconds: -1 });
    expect(await stock()).toMatchObject({ available: 4, reserved: 4 });
    await runScheduled(env);
    expect(await stock()).toMatchObject({ available: 5, reserved: 3 });

    // Moves made by any statement are counted, including ones no route makes today.
    const one = await env.DB.prepare("SELECT id FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'available' LIMIT 1").bind(tenant.id, productId).first<{ id: string }>();
    await env.DB.prepare("UPDATE card_keys SET status = 'voided' WHERE id = ?").bind(one!.id).run();
    const two = await env.DB.prepare("SELECT id FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'available' LIMIT 1").bind(tenant.id, productId).first<{ id: string }>();
    await env.DB.prepare("DELETE FROM card_keys WHERE id = ?").bind(two!.id).run();
    await env.DB.prepare("UPDATE card_keys SET reserved_until = NULL WHERE tenant_id = ?").bind(tenant.id).run();
    expect(await stock()).toEqual({ available: 3, reserved: 3, delivered: 1, total: 7 });
    expect(await kept(tenant.id)).toEqual(await counted(tenant.id));
  });

  it("a loop key makes the stock unlimited, and the low-stock event still fires once when the threshold is crossed", async () => {
    const { tenant, adminKey, productId, slug } = await shopWithKeys(4, { lowStockThreshold: 2 });
    for (let i = 0; i < 3; i++) expect((await shop(slug, "/orders", { method: "POST", json: { productId }, idem: `low-stock-order-${i}` })).status).toBe(201);
    const { results } = await env.DB.prepare("SELECT json_extract(body, '$.payload.available') AS available FROM event_outbox WHERE tenant_id = ? AND type = 'low_stock'").bind(tenant.id).all<{ available: number }>();
    expect(results).toEqual([{ available: 2 }]);

    const loop = await api(`/products/${productId}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: "LOOP-KEY-0001", reusable: true }] } });
    expect(loop.status).toBe(200);
    expect((await api(`/products/${productId}/stock`, { token: adminKey })).body).toMatchObject({ available: 1_000_000, total: null });
    expect(await kept(tenant.id)).toEqual(await counted(tenant.id));
  });

  it("a key disguised with invisible or full-width characters is refused, not stocked beside the same key (sold twice)", async () => {
    const { tenant, adminKey, productId } = await shopWithKeys(0);
    const other = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "另一张卡", priceCents: 990, faceValueCents: 1000 } });
    const key = "VIP-2026-ABCD-7788";
    const first = await api(`/products/${productId}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: key }] } });
    expect(first.body).toMatchObject({ inserted: 1, rejected: 0 });
    const disguised = [`${key}\u200b`, `VIP-2026-\u200dABCD-7788`, `\u2060${key}`, `VIP-2026-ＡＢＣＤ-7788`, `VIP-2026-ABCD-7788\u00ad`, `\u202e${key}`, `${key}\u007f`, `${key}\u0085`, `${key}\ud800`];
    for (const pid of [productId, other.body.id]) {
      const r = await api(`/products/${pid}/keys/import`, { method: "POST", token: adminKey, json: { rows: disguised.map((secret, i) => ({ line: i + 1, secret })) } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ inserted: 0, rejected: disguised.length });
      expect(new Set(r.body.errors.map((e: { code: string }) => e.code))).toEqual(new Set(["invalid"]));
    }
    expect((await env.DB.prepare("SELECT count(*) AS n FROM card_keys WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>())!.n).toBe(1);
    // Keys in other scripts and with ordinary punctuation still go in.
    const ok = await api(`/products/${other.body.id}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: "兑换码-七七八八-2026" }, { line: 2, secret: "ab cd+ef/gh=" }] } });
    expect(ok.body).toMatchObject({ inserted: 2, rejected: 0 });
  });
});
