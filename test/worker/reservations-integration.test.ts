import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../../worker/scheduled";
import { createOrder } from "../../worker/services/orders";
import { api } from "./helpers";
import { shopWithKeys } from "./commerce-helpers";

describe("reservation expiry", { timeout: 60_000 }, () => {
  it("the cron gives lapsed reservations back to stock and expires the order, once", async () => {
    const { tenant, productId, adminKey } = await shopWithKeys(2);
    const lapsed = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_a", productId, idempotencyKey: "cron-lapse-1", reserveSeconds: -1 });
    const live = await createOrder(env, { tenantId: tenant.id, buyerId: "byr_b", productId, idempotencyKey: "cron-live-1" });
    expect((await api(`/products/${productId}/stock`, { token: adminKey })).body).toMatchObject({ available: 0, reserved: 2 });
    await Promise.all([runScheduled(env), runScheduled(env)]);
    expect((await api(`/products/${productId}/stock`, { token: adminKey })).body).toMatchObject({ available: 1, reserved: 1 });
    const rows = await env.DB.prepare("SELECT id, status FROM orders WHERE tenant_id = ? ORDER BY created_at").bind(tenant.id).all<{ id: string; status: string }>();
    expect(rows.results).toEqual([{ id: lapsed.order.id, status: "expired" }, { id: live.order.id, status: "created" }]);
  });
});
