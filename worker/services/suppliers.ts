/**
 * Routing to upstream suppliers: cheapest healthy supplier first, next one on failure. A supplier that fails
 * BREAKER_THRESHOLD times in a row is skipped for BREAKER_OPEN_S (circuit breaker). Every attempt is recorded
 * and each failure raises supplier_failed; the caller refunds when every route failed.
 */
import { newId } from "../domain/crypto";
import type { OrderRow } from "../db/orders";
import type { ProductRow } from "../db/products";
import type { z } from "@hono/zod-openapi";
import type { Supplier, SupplierInput } from "../../schema/suppliers";
import {
  listSuppliers, recordAttemptStmt, supplierCircuit, supplierFailedStmt, supplierRoutes, supplierSucceededStmt, upsertSupplier, type SupplierRouteRow,
} from "../db/suppliers";
import { eventRows, type EventInput } from "../queue/emit";
import { httpSupplierClient, type SupplierCallResult, type SupplierClient } from "../suppliers/client";

export const BREAKER_THRESHOLD = 3;
export const BREAKER_OPEN_S = 30;

export type ClientFactory = (route: SupplierRouteRow, env: Env) => SupplierClient;
const defaultFactory: ClientFactory = (route, env) => httpSupplierClient(route.base_url, env.SUPPLIER_SANDBOX_SECRET);

export type RechargeOutcome = { ok: true; supplierId: string; ref: string } | { ok: false; attempts: number };
export type CardKeysOutcome = { ok: true; supplierId: string; ref: string; keys: string[] } | { ok: false; attempts: number };

type Call<T> = (client: SupplierClient, route: SupplierRouteRow, orderRef: string) => Promise<SupplierCallResult<T>>;

/** Tries each route, cheapest healthy first, until one succeeds; records attempts, breaker state and events. */
async function viaSuppliers<T extends { supplierRef: string }>(
  env: Env, order: OrderRow, product: ProductRow, call: Call<T>, clientFor: ClientFactory,
): Promise<{ ok: true; supplierId: string; value: T } | { ok: false; attempts: number }> {
  const db = env.DB;
  const t = order.tenant_id;
  let routes = await supplierRoutes(db, t, product.id);
  const now = new Date();
  // Our order is the supplier's idempotency reference: a retry replays the supplier's first answer.
  const orderRef = `${order.id}:${product.id}`;
  let replay: SupplierRouteRow | null = null;
  if (order.delivery_attempts > 1) {
    // A retry after a crash or a stall: the first run may have gone through at a supplier that is now skipped (open
    // circuit) or no longer cheapest. Ask each one before buying anywhere, so the buyer is never served twice.
    for (const route of routes) {
      const st = await clientFor(route, env).status(orderRef);
      if (st.ok && st.value.status === "succeeded") {
        replay = route;
        routes = [route, ...routes.filter((r) => r !== route)];
        break;
      }
    }
  }
  let attempts = 0;
  for (const route of routes) {
    if (route !== replay && route.open_until && route.open_until > now.toISOString()) continue;
    attempts++;
    const client = clientFor(route, env);
    const started = Date.now();
    let res = await call(client, route, orderRef);
    if (!res.ok && res.outcome === "timeout") {
      // It may have gone through: ask before moving on, or the buyer could be served twice.
      const st = await client.status(orderRef);
      if (st.ok && st.value.status === "succeeded" && st.value.supplierRef) res = await call(client, route, orderRef);
    }
    const latencyMs = Date.now() - started;
    if (res.ok) {
      await db.batch([
        recordAttemptStmt(db, { id: newId("sat"), tenantId: t, orderId: order.id, supplierId: route.id, outcome: "ok", latencyMs, detail: null }),
        supplierSucceededStmt(db, t, route.id),
      ]);
      return { ok: true, supplierId: route.id, value: res.value };
    }
    const openUntil = new Date(Date.now() + BREAKER_OPEN_S * 1000).toISOString();
    // Out of stock says nothing about the supplier's health: it does not count towards the breaker.
    // supplier_failed in the attempt's own batch, with the breaker's state after this failure (one of the two rows).
    const attemptId = newId("sat");
    const stmts = [recordAttemptStmt(db, { id: attemptId, tenantId: t, orderId: order.id, supplierId: route.id, outcome: res.outcome, latencyMs, detail: res.detail })];
    const counted = res.outcome !== "out_of_stock";
    if (counted) stmts.push(supplierFailedStmt(db, t, route.id, BREAKER_THRESHOLD, openUntil));
    for (const circuitOpen of [true, false]) {
      const failed: EventInput = { eventId: `evsf_${attemptId}`, tenantId: t, type: "supplier_failed", payload: { orderId: order.id, supplierId: route.id, outcome: res.outcome, latencyMs, circuitOpen } };
      stmts.push(...eventRows(env, [failed], counted ? supplierCircuit(t, route.id, BREAKER_THRESHOLD, circuitOpen) : { sql: circuitOpen ? "0" : "1", args: [] }));
    }
    await db.batch(stmts);
  }
  return { ok: false, attempts };
}

export async function rechargeViaSuppliers(
  env: Env, order: OrderRow, product: ProductRow, quantity: number, clientFor: ClientFactory = defaultFactory,
): Promise<RechargeOutcome> {
  const r = await viaSuppliers(env, order, product, (client, route, orderRef) =>
    client.recharge({ orderRef, sku: route.supplier_sku, account: order.recharge_account ?? "", quantity }), clientFor);
  return r.ok ? { ok: true, supplierId: r.supplierId, ref: r.value.supplierRef } : r;
}

/** Card keys bought upstream when the own inventory has none. Calls are idempotent by orderRef, so a repeat after a
 * timeout returns the same keys rather than buying new ones. The keys are plaintext here: encrypt before storing. */
export async function cardKeysViaSuppliers(
  env: Env, order: OrderRow, product: ProductRow, quantity: number, clientFor: ClientFactory = defaultFactory,
): Promise<CardKeysOutcome> {
  const r = await viaSuppliers(env, order, product, (client, route, orderRef) =>
    client.fetchCardKeys({ orderRef, sku: route.supplier_sku, quantity }), clientFor);
  if (!r.ok) return r;
  if (r.value.keys.length !== quantity) return { ok: false, attempts: 1 };
  return { ok: true, supplierId: r.supplierId, ref: r.value.supplierRef, keys: r.value.keys };
}

export async function hasSupplierRoute(db: D1Database, tenantId: string, productId: string): Promise<boolean> {
  return (await supplierRoutes(db, tenantId, productId)).length > 0;
}

type SupplierRow = { id: string; name: string; base_url: string; status: "active" | "disabled"; consecutive_failures: number; open_until: string | null };
const toSupplier = (r: SupplierRow): z.infer<typeof Supplier> => ({
  id: r.id, name: r.name, baseUrl: r.base_url, status: r.status, consecutiveFailures: r.consecutive_failures, openUntil: r.open_until,
});

/** The tenant's suppliers with their circuit state. */
export async function supplierList(db: D1Database, tenantId: string) {
  return { suppliers: (await listSuppliers(db, tenantId)).map(toSupplier) };
}

/** Adds or updates a supplier and the products it fulfils (with cost). */
export async function saveSupplier(db: D1Database, tenantId: string, input: z.infer<typeof SupplierInput>) {
  return toSupplier(await upsertSupplier(db, tenantId, { id: newId("sup"), ...input }));
}
