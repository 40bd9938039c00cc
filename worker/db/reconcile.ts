import type { PaymentRow } from "./payments";

export interface ReconRunRow {
  id: string;
  tenant_id: string;
  source: string;
  day: string;
  trigger: "cron" | "api" | "upload";
  status: "done" | "failed";
  error: string | null;
  totals: string;
  matched: number;
  open_items: number;
  runs: number;
  started_at: string;
  finished_at: string;
}

export interface ReconItemRow {
  id: string;
  tenant_id: string;
  run_id: string;
  kind: string;
  side: string;
  ref: string;
  external_ref: string | null;
  our_cents: number | null;
  their_cents: number | null;
  detail: string;
  status: "open" | "resolved";
  note: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
}

export interface DeliveryRow {
  order_id: string;
  product_id: string;
  quantity: number;
  /** The cost configured for the product at this supplier (today's): only for deliveries whose charge is unknown. */
  cost_cents: number | null;
  /** What the supplier said it charged for the line (its answer, status or callback); NULL when it did not say. */
  charged_cents: number | null;
  created_at: string;
}

const CHUNK = 80;
async function chunked<T>(ids: string[], q: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await q(ids.slice(i, i + CHUNK))));
  return out;
}
const marks = (n: number) => Array(n).fill("?").join(",");

/** A tenant's succeeded charges and refunds at a provider completed in [from, to). */
export async function succeededPaymentsBetween(db: D1Database, tenantId: string, provider: string, from: string, to: string) {
  return (
    await db
      .prepare("SELECT * FROM payments WHERE tenant_id = ? AND provider = ? AND status = 'succeeded' AND completed_at >= ? AND completed_at < ? ORDER BY completed_at")
      .bind(tenantId, provider, from, to)
      .all<PaymentRow>()
  ).results;
}

/** The tenant's payments (any status) with these ids: what a statement line names (`+tenant_id`: by id, not the brand's payments). */
export function paymentsByIds(db: D1Database, tenantId: string, ids: string[]) {
  return chunked(ids, async (part) =>
    (await db.prepare(`SELECT * FROM payments WHERE +tenant_id = ? AND id IN (${marks(part.length)})`).bind(tenantId, ...part).all<PaymentRow>()).results,
  );
}

// The attempt's own line (a bundle's component) when recorded; attempts older than migration 0216 fall back to the order's.
const DELIVERY_SQL = `SELECT a.order_id, COALESCE(a.product_id, o.product_id) AS product_id, COALESCE(a.quantity, o.quantity) AS quantity, sp.cost_cents,
  a.charged_cents, a.created_at FROM supplier_attempts a
  JOIN orders o ON o.tenant_id = a.tenant_id AND o.id = a.order_id
  LEFT JOIN supplier_products sp ON sp.supplier_id = a.supplier_id AND sp.product_id = COALESCE(a.product_id, o.product_id)
  WHERE a.tenant_id = ? AND a.supplier_id = ? AND a.outcome = 'ok'`;

/** A supplier's successful deliveries for the tenant recorded in [from, to), with the cost we expect to be billed. */
export async function deliveriesBetween(db: D1Database, tenantId: string, supplierId: string, from: string, to: string) {
  return (await db.prepare(`${DELIVERY_SQL} AND a.created_at >= ? AND a.created_at < ? ORDER BY a.created_at`).bind(tenantId, supplierId, from, to).all<DeliveryRow>()).results;
}

export function deliveriesOfOrders(db: D1Database, tenantId: string, supplierId: string, orderIds: string[]) {
  return chunked(orderIds, async (part) =>
    (await db.prepare(`${DELIVERY_SQL} AND a.order_id IN (${marks(part.length)})`).bind(tenantId, supplierId, ...part).all<DeliveryRow>()).results,
  );
}

export async function paymentProvidersOfTenant(db: D1Database, tenantId: string) {
  return (await db.prepare("SELECT provider FROM payment_accounts WHERE tenant_id = ? AND enabled = 1 ORDER BY provider").bind(tenantId).all<{ provider: string }>()).results.map((r) => r.provider);
}

export async function activeSuppliersOfTenant(db: D1Database, tenantId: string) {
  return (await db.prepare("SELECT id, name, base_url FROM suppliers WHERE tenant_id = ? AND status = 'active' ORDER BY name").bind(tenantId).all<{ id: string; name: string; base_url: string }>()).results;
}

export function getSupplier(db: D1Database, tenantId: string, id: string) {
  return db
    .prepare("SELECT id, name, base_url, scheme, app_id, secret_enc FROM suppliers WHERE tenant_id = ? AND id = ?")
    .bind(tenantId, id)
    .first<{ id: string; name: string; base_url: string; scheme: string; app_id: string | null; secret_enc: string | null }>();
}

/**
 * Tenants with something to reconcile for [from, to): a payment account, an active supplier, or (sandbox) a payment
 * completed or a sandbox transaction booked in the window.
 */
export async function tenantsToReconcile(db: D1Database, from: string, to: string, sandbox: boolean) {
  const sql = [
    "SELECT tenant_id FROM payment_accounts WHERE enabled = 1",
    "SELECT tenant_id FROM suppliers WHERE status = 'active'",
    ...(sandbox
      ? ["SELECT tenant_id FROM payments WHERE provider = 'sandbox' AND status = 'succeeded' AND completed_at >= ?1 AND completed_at < ?2", "SELECT tenant_id FROM sandbox_gateway_txns WHERE booked_at >= ?1 AND booked_at < ?2"]
      : []),
  ].join(" UNION ");
  const stmt = db.prepare(`${sql} ORDER BY tenant_id`);
  return (await (sandbox ? stmt.bind(from, to) : stmt).all<{ tenant_id: string }>()).results.map((r) => r.tenant_id);
}

/** Claims the cron's day once; false when another tick already did. */
export async function claimCronDay(db: D1Database, day: string) {
  return !!(await db.prepare("INSERT INTO recon_cron_days (day) VALUES (?) ON CONFLICT (day) DO NOTHING RETURNING day").bind(day).first());
}

export function upsertRunStmt(db: D1Database, r: Omit<ReconRunRow, "runs" | "open_items">) {
  return db
    .prepare(
      `INSERT INTO recon_runs (id, tenant_id, source, day, trigger, status, error, totals, matched, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, source, day) DO UPDATE SET trigger = excluded.trigger, status = excluded.status, error = excluded.error,
         totals = excluded.totals, matched = excluded.matched, runs = runs + 1, started_at = excluded.started_at, finished_at = excluded.finished_at
       RETURNING *`,
    )
    .bind(r.id, r.tenant_id, r.source, r.day, r.trigger, r.status, r.error, r.totals, r.matched, r.started_at, r.finished_at);
}

export function deleteOpenItemsStmt(db: D1Database, tenantId: string, runId: string) {
  return db.prepare("DELETE FROM recon_items WHERE tenant_id = ? AND run_id = ? AND status = 'open'").bind(tenantId, runId);
}

/** A resolved item with the same (kind, side, ref) stays as it is, note and all. */
export function insertItemStmt(db: D1Database, i: Omit<ReconItemRow, "status" | "note" | "resolved_by" | "resolved_at" | "created_at">) {
  return db
    .prepare(
      `INSERT INTO recon_items (id, tenant_id, run_id, kind, side, ref, external_ref, our_cents, their_cents, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    )
    .bind(i.id, i.tenant_id, i.run_id, i.kind, i.side, i.ref, i.external_ref, i.our_cents, i.their_cents, i.detail);
}

export function countOpenItemsStmt(db: D1Database, tenantId: string, runId: string) {
  return db
    .prepare("UPDATE recon_runs SET open_items = (SELECT COUNT(*) FROM recon_items WHERE tenant_id = ?1 AND run_id = ?2 AND status = 'open') WHERE tenant_id = ?1 AND id = ?2")
    .bind(tenantId, runId);
}

export async function listRuns(db: D1Database, tenantId: string, q: { day?: string; source?: string; limit: number }) {
  return (
    await db
      .prepare("SELECT * FROM recon_runs WHERE tenant_id = ?1 AND (?2 IS NULL OR day = ?2) AND (?3 IS NULL OR source = ?3) ORDER BY day DESC, source LIMIT ?4")
      .bind(tenantId, q.day ?? null, q.source ?? null, q.limit)
      .all<ReconRunRow>()
  ).results;
}

export function getRun(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM recon_runs WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<ReconRunRow>();
}

export async function listItems(db: D1Database, tenantId: string, runId: string) {
  return (
    await db
      .prepare("SELECT * FROM recon_items WHERE tenant_id = ? AND run_id = ? ORDER BY status = 'resolved', kind, ref")
      .bind(tenantId, runId)
      .all<ReconItemRow>()
  ).results;
}

export function getItem(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM recon_items WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<ReconItemRow>();
}

export function resolveItemStmt(db: D1Database, tenantId: string, id: string, note: string, by: string | null) {
  return db
    .prepare(
      `UPDATE recon_items SET status = 'resolved', note = ?, resolved_by = ?, resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? AND status = 'open' RETURNING *`,
    )
    .bind(note, by, tenantId, id);
}
