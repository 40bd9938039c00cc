/**
 * Price and stock sync: each supplier's live catalogue (cost and stock per SKU) is read on a schedule and stored on
 * its product mappings, where routing reads it (services/suppliers.ts). A live cost above a product's sale price
 * records supplier_below_cost (once per supplier, product and cost) unless the product allows selling below cost.
 * Also the health view: success rate, latency and last failures per supplier.
 */
import type { z } from "@hono/zod-openapi";
import type { SupplierHealthReport } from "../../schema/suppliers";
import {
  setAllowBelowCost,
  attemptsSince, listSuppliers, liveCostStmt, markSyncedStmt, pendingCounts, supplierProducts, suppliersDueForSync, type SupplierRow,
} from "../db/suppliers";
import { summariseAttempts } from "../domain/supplier-health";
import { ApiError } from "../errors";
import type { SupplierScheme } from "../domain/supplier-sign";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { defaultFactory, type ClientFactory } from "../suppliers/factory";

/** A supplier's price list is read again after this long. */
export const SYNC_EVERY_S = 600;
const PER_RUN = 20;
const PARALLEL = 4;

export type SyncRun = { suppliers: number; updated: number; belowCost: number; failed: number };

async function syncOne(env: Env, s: SupplierRow, nowIso: string, clientFor: ClientFactory, run: SyncRun) {
  const db = env.DB;
  const res = await (await clientFor(s, env)).catalogue();
  if (!res.ok) {
    run.failed++;
    console.warn(JSON.stringify({ at: "supplier_sync", supplierId: s.id, outcome: res.outcome, detail: res.detail }));
    return;
  }
  const mapped = await supplierProducts(db, s.tenant_id, s.id);
  const bySku = new Map(res.value.items.map((i) => [i.sku, i]));
  const stmts: D1PreparedStatement[] = [];
  for (const m of mapped) {
    const item = bySku.get(m.supplier_sku);
    // A SKU gone from the catalogue has no stock.
    stmts.push(liveCostStmt(db, s.tenant_id, s.id, m.supplier_sku, item?.costCents ?? m.live_cost_cents ?? m.cost_cents, item ? Math.max(0, item.stock) : 0));
    run.updated++;
    const cost = item?.costCents;
    if (cost !== undefined && cost > m.price_cents && !m.allow_below_cost) {
      run.belowCost++;
      stmts.push(...eventRows(env, [{
        eventId: `evsbc_${s.id}_${m.product_id}_${cost}`, tenantId: s.tenant_id, type: "supplier_below_cost",
        payload: { supplierId: s.id, productId: m.product_id, costCents: cost, priceCents: m.price_cents, source: "sync" },
      }]));
    }
  }
  stmts.push(markSyncedStmt(db, s.tenant_id, s.id, nowIso));
  await db.batch(stmts);
}

/** Cron (and on demand per tenant): syncs suppliers not synced for SYNC_EVERY_S (with `force`, a tenant's all). */
export async function syncSupplierCatalogues(env: Env, now = new Date(), tenantId?: string, force = false, clientFor: ClientFactory = defaultFactory): Promise<SyncRun> {
  const before = force ? "9999" : new Date(now.getTime() - SYNC_EVERY_S * 1000).toISOString();
  const due = await suppliersDueForSync(env.DB, before, force ? 200 : PER_RUN, tenantId);
  const run: SyncRun = { suppliers: due.length, updated: 0, belowCost: 0, failed: 0 };
  for (let i = 0; i < due.length; i += PARALLEL) {
    await Promise.all(due.slice(i, i + PARALLEL).map((s) => syncOne(env, s, now.toISOString(), clientFor, run).catch((e) => {
      run.failed++;
      console.error(JSON.stringify({ at: "supplier_sync", supplierId: s.id, error: e instanceof Error ? e.message : String(e) }));
    })));
  }
  if (run.belowCost) await scheduleDispatch(env);
  return run;
}

/** Per supplier over the last `hours`: outcomes, latency percentiles, last failures, in-flight orders, products. */
export async function supplierHealth(env: Env, tenantId: string, hours = 24, now = new Date()): Promise<z.infer<typeof SupplierHealthReport>> {
  const db = env.DB;
  const since = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const [suppliers, attempts, pending, products] = await Promise.all([listSuppliers(db, tenantId), attemptsSince(db, tenantId, since), pendingCounts(db, tenantId), supplierProducts(db, tenantId)]);
  const nowIso = now.toISOString();
  return {
    since,
    suppliers: suppliers.map((s) => ({
      id: s.id, name: s.name, scheme: s.scheme as SupplierScheme, status: s.status, circuitOpen: !!s.open_until && s.open_until > nowIso,
      ...summariseAttempts(attempts.filter((a) => a.supplier_id === s.id)),
      pending: pending.get(s.id) ?? 0, syncedAt: s.synced_at,
      products: products.filter((p) => p.supplier_id === s.id).map((p) => {
        const cost = p.live_cost_cents ?? p.cost_cents;
        return {
          productId: p.product_id, productName: p.product_name, sku: p.supplier_sku, costCents: p.cost_cents, liveCostCents: p.live_cost_cents, liveStock: p.live_stock,
          priceCents: p.price_cents, allowBelowCost: !!p.allow_below_cost, belowCost: cost > p.price_cents,
        };
      }),
    })),
  };
}

/** An operator's explicit choice to sell a product below its live supplier cost (margin protection off), or not. */
export async function setMarginPolicy(env: Env, tenantId: string, productId: string, allow: boolean) {
  const row = await setAllowBelowCost(env.DB, tenantId, productId, allow);
  if (!row) throw ApiError.notFound("Product");
  return { productId, allowBelowCost: !!row.allow_below_cost };
}
