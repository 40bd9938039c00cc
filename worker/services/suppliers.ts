/**
 * Routing to upstream suppliers: cheapest live cost first among suppliers with stock and a margin (a supplier whose
 * live cost exceeds the sale price is refused unless the product allows selling below cost, and an event says so),
 * next one on failure. A supplier that fails BREAKER_THRESHOLD times in a row is skipped for BREAKER_OPEN_S (circuit
 * breaker). Every attempt is recorded and each failure raises supplier_failed; the caller refunds when every route
 * failed. A supplier may accept a recharge asynchronously (processing): the order line is then pending in
 * supplier_orders until its callback or a status poll settles it (services/supplier-callbacks.ts).
 */
import { newId } from "../domain/crypto";
import type { OrderRow } from "../db/orders";
import type { ProductRow } from "../db/products";
import type { z } from "@hono/zod-openapi";
import type { Supplier, SupplierInput } from "../../schema/suppliers";
import {
  insertSupplierOrderStmt, listSuppliers, recordAttemptStmt, supplierCircuit, supplierFailedStmt, supplierOrdersOf, supplierRoutes, supplierSucceededStmt,
  upsertSupplier, type SupplierRouteRow, type SupplierRow,
} from "../db/suppliers";
import { eventRows, type EventInput } from "../queue/emit";
import { sealSecret } from "../domain/secret-box";
import type { SupplierScheme } from "../domain/supplier-sign";
import type { SupplierCallResult, SupplierClient } from "../suppliers/client";
import { callbackUrlOf, defaultFactory, type ClientFactory } from "../suppliers/factory";
import { pollSupplierOrder } from "./supplier-orders";
import { assertOutboundUrl } from "./outbound-url";
import { missingProductIds } from "../db/products";
import { ApiError } from "../errors";
export const BREAKER_THRESHOLD = 3;
export const BREAKER_OPEN_S = 30;

export type RechargeOutcome = { ok: true; supplierId: string; ref: string } | { ok: false; attempts: number; pending?: boolean };
export type CardKeysOutcome = { ok: true; supplierId: string; ref: string; keys: string[] } | { ok: false; attempts: number };

type Call<T> = (client: SupplierClient, route: SupplierRouteRow, orderRef: string) => Promise<SupplierCallResult<T>>;
type Routed<T> = { ok: true; supplierId: string; value: T } | { ok: false; attempts: number; pending?: boolean };

/** Refused by margin protection: the live cost is above the sale price and the product does not allow that. */
export const belowCost = (r: { cost_cents: number; sale_cents: number; allow_below_cost: number }) => r.cost_cents > r.sale_cents && !r.allow_below_cost;

/**
 * Tries each route, cheapest healthy first, until one succeeds; records attempts, breaker state and events. A
 * recharge accepted as processing is recorded pending and ends the routing (pending: true). `skip`: suppliers that
 * already failed this order line. `awaitUnknown`: a call that timed out without a known outcome is recorded pending at
 * that supplier and ends the routing too (a slow supplier may still complete it: asking the next one could serve the
 * buyer twice); the status poll settles it (services/supplier-orders.ts).
 */
/** An answer that does not say the order was refused: a timeout, a server error, or a 200 we could not read. */
const mayHaveGoneThrough = (res: { outcome: string; detail: string | null }) =>
  res.outcome === "timeout" || res.detail === "bad_response" || /^http_5\d\d/.test(res.detail ?? "");

async function viaSuppliers<T extends { supplierRef: string; status?: string; costCents?: number }>(
  env: Env, order: OrderRow, product: ProductRow, quantity: number, call: Call<T>, clientFor: ClientFactory, skip = new Set<string>(), awaitUnknown = false,
): Promise<Routed<T>> {
  const db = env.DB;
  const t = order.tenant_id;
  const all = await supplierRoutes(db, t, product.id);
  // Margin protection: refused routes are recorded (once per order and supplier) and never called.
  const refused = all.filter(belowCost);
  if (refused.length) {
    await db.batch(refused.flatMap((r) => eventRows(env, [{
      eventId: `evsbc_${order.id}_${r.id}`, tenantId: t, type: "supplier_below_cost",
      payload: { supplierId: r.id, productId: product.id, costCents: r.cost_cents, priceCents: r.sale_cents, source: "routing", orderId: order.id },
    }])));
  }
  // Live stock from the last sync: a supplier known to be out of stock is not asked.
  let routes = all.filter((r) => !belowCost(r) && !skip.has(r.id) && (r.live_stock === null || r.live_stock >= quantity));
  const now = new Date();
  // Our order is the supplier's idempotency reference: a retry replays the supplier's first answer.
  const orderRef = `${order.id}:${product.id}`;
  let replay: SupplierRouteRow | null = null;
  if (order.delivery_attempts > 1) {
    // A retry after a crash or a stall: the first run may have gone through at a supplier that is now skipped (open
    // circuit) or no longer cheapest. Ask each one before buying anywhere, so the buyer is never served twice.
    for (const route of routes) {
      const st = await (await clientFor(route, env)).status(orderRef);
      if (st.ok && st.value.status === "processing") {
        // Accepted before the crash and still working on it: wait for its outcome.
        await db.batch([insertSupplierOrderStmt(db, { supplierId: route.id, orderRef, tenantId: t, orderId: order.id, productId: product.id, quantity, status: "pending", supplierRef: st.value.supplierRef })]);
        return { ok: false, attempts: 0, pending: true };
      }
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
    const client = await clientFor(route, env);
    const started = Date.now();
    let res = await call(client, route, orderRef);
    // A timeout that may still go through upstream (null: the outcome is known, or the caller moves on anyway).
    let unknown: { supplierRef: string | null } | null = null;
    if (!res.ok && mayHaveGoneThrough(res)) {
      // It may have gone through: ask before moving on, or the buyer could be served twice.
      const st = await client.status(orderRef);
      if (st.ok && st.value.status === "succeeded" && st.value.supplierRef) {
        res = await call(client, route, orderRef);
        // Done upstream but its answer is still unreadable: never the next supplier; the status poll settles it.
        if (!res.ok && awaitUnknown) unknown = { supplierRef: st.value.supplierRef };
      } else if (awaitUnknown && st.ok && st.value.status === "processing") unknown = { supplierRef: st.value.supplierRef ?? null };
      // A timed-out call may still be on its way; a supplier that answered (5xx, a garbled 200) and knows nothing of
      // the order did not take it, so the line moves on.
      else if (awaitUnknown && res.outcome === "timeout" && !(st.ok && st.value.status === "failed")) unknown = { supplierRef: st.ok ? (st.value.supplierRef ?? null) : null };
    }
    const latencyMs = Date.now() - started;
    if (res.ok) {
      const processing = res.value.status === "processing";
      await db.batch([
        // An accepted asynchronous order's outcome (and its latency) is recorded when it settles.
        // What the supplier says it charged is what its statement should bill (reconciliation compares the two).
        recordAttemptStmt(db, {
          id: newId("sat"), tenantId: t, orderId: order.id, supplierId: route.id, outcome: processing ? "accepted" : "ok", latencyMs, detail: null,
          productId: product.id, quantity, chargedCents: processing ? null : (res.value.costCents ?? null),
        }),
        supplierSucceededStmt(db, t, route.id),
        ...(res.value.status
          ? [insertSupplierOrderStmt(db, { supplierId: route.id, orderRef, tenantId: t, orderId: order.id, productId: product.id, quantity, status: processing ? "pending" : "succeeded", supplierRef: res.value.supplierRef })]
          : []),
      ]);
      if (processing) return { ok: false, attempts, pending: true };
      return { ok: true, supplierId: route.id, value: res.value };
    }
    const openUntil = new Date(Date.now() + BREAKER_OPEN_S * 1000).toISOString();
    // Out of stock says nothing about the supplier's health: it does not count towards the breaker.
    // supplier_failed in the attempt's own batch, with the breaker's state after this failure (one of the two rows).
    const attemptId = newId("sat");
    const stmts = [recordAttemptStmt(db, { id: attemptId, tenantId: t, orderId: order.id, supplierId: route.id, outcome: res.outcome, latencyMs, detail: res.detail, productId: product.id, quantity })];
    const counted = res.outcome !== "out_of_stock";
    if (counted) stmts.push(supplierFailedStmt(db, t, route.id, BREAKER_THRESHOLD, openUntil));
    for (const circuitOpen of [true, false]) {
      const failed: EventInput = { eventId: `evsf_${attemptId}`, tenantId: t, type: "supplier_failed", payload: { orderId: order.id, supplierId: route.id, outcome: res.outcome, latencyMs, circuitOpen } };
      stmts.push(...eventRows(env, [failed], counted ? supplierCircuit(t, route.id, BREAKER_THRESHOLD, circuitOpen) : { sql: circuitOpen ? "0" : "1", args: [] }));
    }
    if (unknown) stmts.push(insertSupplierOrderStmt(db, { supplierId: route.id, orderRef, tenantId: t, orderId: order.id, productId: product.id, quantity, status: "pending", supplierRef: unknown.supplierRef }));
    await db.batch(stmts);
    if (unknown) return { ok: false, attempts, pending: true };
  }
  return { ok: false, attempts };
}

/**
 * A recharge: the line's supplier order if one already succeeded; a pending one is asked for its status first (still
 * processing: pending, nothing else is tried); suppliers that failed it are skipped when routing again.
 */
export async function rechargeViaSuppliers(
  env: Env, order: OrderRow, product: ProductRow, quantity: number, clientFor: ClientFactory = defaultFactory,
): Promise<RechargeOutcome> {
  const t = order.tenant_id;
  let placed = await supplierOrdersOf(env.DB, t, order.id, product.id);
  const waiting = placed.find((p) => p.status === "pending");
  if (waiting) {
    const { state } = await pollSupplierOrder(env, waiting, clientFor);
    if (state === "pending") return { ok: false, attempts: 0, pending: true };
    placed = await supplierOrdersOf(env.DB, t, order.id, product.id);
  }
  const won = placed.find((p) => p.status === "succeeded");
  if (won) return { ok: true, supplierId: won.supplier_id, ref: won.supplier_ref ?? won.order_ref };
  const failed = new Set(placed.filter((p) => p.status === "failed").map((p) => p.supplier_id));
  const r = await viaSuppliers(env, order, product, quantity, (client, route, orderRef) =>
    client.recharge({ orderRef, sku: route.supplier_sku, account: order.recharge_account ?? "", quantity, notifyUrl: callbackUrlOf(route) ?? undefined }), clientFor, failed, true);
  return r.ok ? { ok: true, supplierId: r.supplierId, ref: r.value.supplierRef } : r;
}

/** Card keys bought upstream when the own inventory has none. Calls are idempotent by orderRef, so a repeat after a
 * timeout returns the same keys rather than buying new ones. The keys are plaintext here: encrypt before storing. */
export async function cardKeysViaSuppliers(
  env: Env, order: OrderRow, product: ProductRow, quantity: number, clientFor: ClientFactory = defaultFactory,
): Promise<CardKeysOutcome> {
  const r = await viaSuppliers(env, order, product, quantity, (client, route, orderRef) =>
    client.fetchCardKeys({ orderRef, sku: route.supplier_sku, quantity }), clientFor);
  if (!r.ok) return r;
  if (r.value.keys.length !== quantity) return { ok: false, attempts: 1 };
  return { ok: true, supplierId: r.supplierId, ref: r.value.supplierRef, keys: r.value.keys };
}

export async function hasSupplierRoute(db: D1Database, tenantId: string, productId: string): Promise<boolean> {
  return (await supplierRoutes(db, tenantId, productId)).length > 0;
}

const toSupplier = (r: SupplierRow): z.infer<typeof Supplier> => ({
  id: r.id, name: r.name, baseUrl: r.base_url, status: r.status, consecutiveFailures: r.consecutive_failures, openUntil: r.open_until,
  scheme: r.scheme as SupplierScheme, appId: r.app_id, hasSecret: !!r.secret_enc, callbackUrl: callbackUrlOf(r), syncedAt: r.synced_at,
});

/** The tenant's suppliers with their circuit state. */
export async function supplierList(db: D1Database, tenantId: string) {
  return { suppliers: (await listSuppliers(db, tenantId)).map(toSupplier) };
}

/** Adds or updates a supplier, its credentials (sealed) and the products it fulfils (with cost). `origin`: where its callback URL points. */
export async function saveSupplier(env: Env, tenantId: string, input: z.infer<typeof SupplierInput>, origin: string | null = null) {
  assertOutboundUrl(env, input.baseUrl, "json.baseUrl", "invalid_supplier_url", "Supplier URL");
  // A mapping to a product this brand does not have is refused, not dropped (the operator would see 已保存 for nothing).
  const missing = await missingProductIds(env.DB, tenantId, input.products.map((p) => p.productId));
  const unknown = input.products.flatMap((p, i) => (missing.has(p.productId) ? [{ path: `json.products.${i}.productId`, message: "no such product", code: "unknown_product" }] : []));
  if (unknown.length) throw new ApiError(422, "supplier_unknown_product", "No such product of this brand", unknown);
  const { credentials: c, ...rest } = input;
  const credentials = c ? { scheme: c.scheme, appId: c.appId ?? null, secretEnc: await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, c.secret) } : null;
  return toSupplier(await upsertSupplier(env.DB, tenantId, { id: newId("sup"), ...rest, credentials, callbackOrigin: origin }));
}
