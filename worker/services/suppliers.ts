/**
 * Routing to upstream suppliers: cheapest healthy supplier first, next one on failure. A supplier that fails
 * BREAKER_THRESHOLD times in a row is skipped for BREAKER_OPEN_S (circuit breaker). Every attempt is recorded
 * and each failure raises supplier_failed; the caller refunds when every route failed.
 */
import { newId } from "../domain/crypto";
import type { OrderRow } from "../db/orders";
import type { ProductRow } from "../db/products";
import { recordAttemptStmt, supplierFailedStmt, supplierRoutes, supplierSucceededStmt, type SupplierRouteRow } from "../db/suppliers";
import { emitEvents, type EventInput } from "../queue/emit";
import { httpSupplierClient, type SupplierClient } from "../suppliers/client";

export const BREAKER_THRESHOLD = 3;
export const BREAKER_OPEN_S = 30;

export type ClientFactory = (route: SupplierRouteRow, env: Env) => SupplierClient;
const defaultFactory: ClientFactory = (route, env) => httpSupplierClient(route.base_url, env.SUPPLIER_SANDBOX_SECRET);

export type RechargeOutcome = { ok: true; supplierId: string; ref: string } | { ok: false; attempts: number };

export async function rechargeViaSuppliers(
  env: Env,
  order: OrderRow,
  product: ProductRow,
  quantity: number,
  clientFor: ClientFactory = defaultFactory,
): Promise<RechargeOutcome> {
  const db = env.DB;
  const t = order.tenant_id;
  const routes = await supplierRoutes(db, t, product.id);
  const now = new Date();
  const events: EventInput[] = [];
  let attempts = 0;
  try {
    for (const route of routes) {
      if (route.open_until && route.open_until > now.toISOString()) continue;
      attempts++;
      const client = clientFor(route, env);
      const orderRef = `${order.id}:${product.id}`;
      const started = Date.now();
      let res = await client.recharge({ orderRef, sku: route.supplier_sku, account: order.recharge_account ?? "", quantity });
      if (!res.ok && res.outcome === "timeout") {
        // It may have gone through: ask before moving on, or the buyer could be recharged twice.
        const st = await client.status(orderRef);
        if (st.ok && st.value.status === "succeeded" && st.value.supplierRef) res = { ok: true, value: { supplierRef: st.value.supplierRef } };
      }
      const latencyMs = Date.now() - started;
      if (res.ok) {
        await db.batch([
          recordAttemptStmt(db, { id: newId("sat"), tenantId: t, orderId: order.id, supplierId: route.id, outcome: "ok", latencyMs, detail: null }),
          supplierSucceededStmt(db, t, route.id),
        ]);
        return { ok: true, supplierId: route.id, ref: res.value.supplierRef };
      }
      const openUntil = new Date(Date.now() + BREAKER_OPEN_S * 1000).toISOString();
      // Out of stock says nothing about the supplier's health: it does not count towards the breaker.
      const stmts = [recordAttemptStmt(db, { id: newId("sat"), tenantId: t, orderId: order.id, supplierId: route.id, outcome: res.outcome, latencyMs, detail: res.detail })];
      if (res.outcome !== "out_of_stock") stmts.push(supplierFailedStmt(db, t, route.id, BREAKER_THRESHOLD, openUntil));
      const [, breaker] = await db.batch(stmts);
      const state = breaker?.results[0] as { consecutive_failures: number; open_until: string | null } | undefined;
      events.push({
        tenantId: t,
        type: "supplier_failed",
        payload: { orderId: order.id, supplierId: route.id, outcome: res.outcome, latencyMs, circuitOpen: Boolean(state && state.consecutive_failures >= BREAKER_THRESHOLD) },
      });
    }
    return { ok: false, attempts };
  } finally {
    if (events.length) await emitEvents(env, events);
  }
}
