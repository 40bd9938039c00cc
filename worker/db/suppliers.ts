import type { SqlGuard } from "./statements";
export interface SupplierRouteRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  base_url: string;
  status: "active" | "disabled";
  consecutive_failures: number;
  open_until: string | null;
  supplier_sku: string;
  cost_cents: number;
}

/** Suppliers able to fulfil a product, cheapest first. */
export async function supplierRoutes(db: D1Database, tenantId: string, productId: string) {
  const { results } = await db
    .prepare(
      `SELECT s.*, sp.supplier_sku, sp.cost_cents FROM supplier_products sp JOIN suppliers s ON s.id = sp.supplier_id
       WHERE sp.tenant_id = ? AND sp.product_id = ? AND s.tenant_id = ? AND s.status = 'active'
       ORDER BY sp.cost_cents, s.name`,
    )
    .bind(tenantId, productId, tenantId)
    .all<SupplierRouteRow>();
  return results;
}

export function recordAttemptStmt(
  db: D1Database,
  a: { id: string; tenantId: string; orderId: string; supplierId: string; outcome: string; latencyMs: number; detail: string | null },
) {
  return db
    .prepare("INSERT INTO supplier_attempts (id, tenant_id, order_id, supplier_id, outcome, latency_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(a.id, a.tenantId, a.orderId, a.supplierId, a.outcome, a.latencyMs, a.detail);
}

export function supplierSucceededStmt(db: D1Database, tenantId: string, id: string) {
  return db.prepare("UPDATE suppliers SET consecutive_failures = 0, open_until = NULL WHERE tenant_id = ? AND id = ?").bind(tenantId, id);
}

/** Counts a failure; at `threshold` consecutive failures the circuit opens until `openUntil`. Returns the new state. */
export function supplierFailedStmt(db: D1Database, tenantId: string, id: string, threshold: number, openUntil: string) {
  return db
    .prepare(
      `UPDATE suppliers SET consecutive_failures = consecutive_failures + 1,
         open_until = CASE WHEN consecutive_failures + 1 >= ? THEN ? ELSE open_until END
       WHERE tenant_id = ? AND id = ? RETURNING consecutive_failures, open_until`,
    )
    .bind(threshold, openUntil, tenantId, id);
}

/** Holds inside a batch when the supplier's circuit is open (true) / closed (false) after the failure just counted. */
export const supplierCircuit = (tenantId: string, id: string, threshold: number, open: boolean): SqlGuard => ({
  sql: `EXISTS (SELECT 1 FROM suppliers WHERE tenant_id = ? AND id = ? AND consecutive_failures ${open ? ">=" : "<"} ?)`,
  args: [tenantId, id, threshold],
});

export async function upsertSupplier(
  db: D1Database,
  tenantId: string,
  s: { id: string; name: string; baseUrl: string; products: { productId: string; sku: string; costCents: number }[] },
) {
  const row = await db
    .prepare(
      `INSERT INTO suppliers (id, tenant_id, name, base_url) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, name) DO UPDATE SET base_url = excluded.base_url RETURNING *`,
    )
    .bind(s.id, tenantId, s.name, s.baseUrl)
    .first<{ id: string; name: string; base_url: string; status: "active" | "disabled"; consecutive_failures: number; open_until: string | null }>();
  if (s.products.length) {
    await db.batch(
      s.products.map((p) =>
        db
          .prepare(
            `INSERT INTO supplier_products (tenant_id, supplier_id, product_id, supplier_sku, cost_cents)
             SELECT ?, ?, id, ?, ? FROM products WHERE tenant_id = ? AND id = ?
             ON CONFLICT (supplier_id, product_id) DO UPDATE SET supplier_sku = excluded.supplier_sku, cost_cents = excluded.cost_cents`,
          )
          .bind(tenantId, row!.id, p.sku, p.costCents, tenantId, p.productId),
      ),
    );
  }
  return row!;
}

export async function listSuppliers(db: D1Database, tenantId: string) {
  const { results } = await db
    .prepare("SELECT * FROM suppliers WHERE tenant_id = ? ORDER BY name")
    .bind(tenantId)
    .all<{ id: string; name: string; base_url: string; status: "active" | "disabled"; consecutive_failures: number; open_until: string | null }>();
  return results;
}
