import type { SqlGuard } from "./statements";
import type { CreateProductInput, Media, Product, ProductConfig, StockCounts, Validity } from "../../schema/catalog";

export interface ProductRow {
  id: string;
  tenant_id: string;
  kind: Product["kind"];
  name: string;
  subtitle: string;
  description: string;
  price_cents: number;
  face_value_cents: number;
  currency: string;
  validity_kind: "fixed" | "relative" | null;
  valid_from: string | null;
  valid_to: string | null;
  valid_days: number | null;
  scope_text: string;
  usage_rules: string;
  tutorial: string;
  media: string;
  per_user_limit: number;
  stock_total: number | null;
  stock_reserved: number;
  stock_sold: number;
  low_stock_threshold: number;
  config: string;
  /** JSON array (schema/d1/0170). */
  tags?: string;
  status: Product["status"];
  published_at: string | null;
  created_at: string;
  updated_at: string;
}

export function rowValidity(r: Pick<ProductRow, "validity_kind" | "valid_from" | "valid_to" | "valid_days">): Validity | null {
  if (r.validity_kind === "fixed" && r.valid_from && r.valid_to) return { kind: "fixed", validFrom: r.valid_from, validTo: r.valid_to };
  if (r.validity_kind === "relative" && r.valid_days) return { kind: "relative", days: r.valid_days };
  return null;
}

export const toProduct = (r: ProductRow): Product => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  name: r.name,
  subtitle: r.subtitle,
  description: r.description,
  priceCents: r.price_cents,
  faceValueCents: r.face_value_cents,
  currency: r.currency,
  validity: rowValidity(r),
  scope: r.scope_text,
  usageRules: r.usage_rules,
  tutorial: r.tutorial,
  media: JSON.parse(r.media) as Media,
  perUserLimit: r.per_user_limit,
  stockTotal: r.stock_total,
  lowStockThreshold: r.low_stock_threshold,
  config: JSON.parse(r.config) as ProductConfig,
  tags: JSON.parse(r.tags ?? "[]") as string[],
  status: r.status,
  publishedAt: r.published_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

type ProductWrite = Omit<CreateProductInput, "kind">;

function writeColumns(p: Partial<ProductWrite>) {
  const v = p.validity;
  const cols: Record<string, unknown> = {
    name: p.name,
    subtitle: p.subtitle,
    description: p.description,
    price_cents: p.priceCents,
    face_value_cents: p.faceValueCents,
    scope_text: p.scope,
    usage_rules: p.usageRules,
    tutorial: p.tutorial,
    media: p.media && JSON.stringify(p.media),
    per_user_limit: p.perUserLimit,
    stock_total: p.stockTotal,
    low_stock_threshold: p.lowStockThreshold,
    config: p.config && JSON.stringify(p.config),
    tags: p.tags && JSON.stringify(p.tags),
  };
  if (v !== undefined) {
    cols.validity_kind = v?.kind ?? null;
    cols.valid_from = v?.kind === "fixed" ? v.validFrom : null;
    cols.valid_to = v?.kind === "fixed" ? v.validTo : null;
    cols.valid_days = v?.kind === "relative" ? v.days : null;
  }
  return Object.fromEntries(Object.entries(cols).filter(([, x]) => x !== undefined));
}

export async function insertProduct(db: D1Database, tenantId: string, id: string, p: CreateProductInput): Promise<ProductRow> {
  const cols = { id, tenant_id: tenantId, kind: p.kind, ...writeColumns(p) };
  const names = Object.keys(cols);
  return (await db
    .prepare(`INSERT INTO products (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) RETURNING *`)
    .bind(...Object.values(cols))
    .first<ProductRow>())!;
}

export async function updateProduct(db: D1Database, tenantId: string, id: string, p: Partial<ProductWrite>) {
  const cols = writeColumns(p);
  const names = Object.keys(cols);
  if (!names.length) return getProductRow(db, tenantId, id);
  return db
    .prepare(
      `UPDATE products SET ${names.map((n) => `${n} = ?`).join(", ")}, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND id = ? RETURNING *`,
    )
    .bind(...Object.values(cols), tenantId, id)
    .first<ProductRow>();
}

/**
 * Sets the status. `first` runs in the same transaction BEFORE the update, so its guard sees the old status (an event
 * row recorded only when this call really publishes: `productStatusIsNot(…, "published")`).
 */
export async function setProductStatus(db: D1Database, tenantId: string, id: string, status: Product["status"], first: D1PreparedStatement[] = []) {
  const results = await db.batch([
    ...first,
    db
      .prepare(
        `UPDATE products SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
           published_at = CASE WHEN ? = 'published' THEN COALESCE(published_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ELSE published_at END
         WHERE tenant_id = ? AND id = ? RETURNING *`,
      )
      .bind(status, status, tenantId, id),
  ]);
  return (results[results.length - 1]!.results[0] as ProductRow | undefined) ?? null;
}

export const productStatusIsNot = (tenantId: string, id: string, status: Product["status"]): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM products WHERE tenant_id = ? AND id = ? AND status != ?)",
  args: [tenantId, id, status],
});

export function productRowStmt(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM products WHERE tenant_id = ? AND id = ?").bind(tenantId, id);
}

/** Which of these ids name no product of the tenant (one read for a whole list). */
export async function missingProductIds(db: D1Database, tenantId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { results } = await db.prepare("SELECT id FROM products WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))").bind(tenantId, JSON.stringify(ids)).all<{ id: string }>();
  const found = new Set(results.map((r) => r.id));
  return new Set(ids.filter((id) => !found.has(id)));
}

export function getProductRow(db: D1Database, tenantId: string, id: string) {
  return productRowStmt(db, tenantId, id).first<ProductRow>();
}

export async function listProductRows(db: D1Database, tenantId: string, status?: Product["status"]) {
  const { results } = status
    ? await db.prepare("SELECT * FROM products WHERE tenant_id = ? AND status = ? ORDER BY created_at").bind(tenantId, status).all<ProductRow>()
    : await db.prepare("SELECT * FROM products WHERE tenant_id = ? ORDER BY created_at").bind(tenantId).all<ProductRow>();
  return results;
}

export type CardKeyStockRow = { available: number | null; loops: number | null; reserved: number | null; delivered: number | null };

/**
 * Card-key stock of a product in one statement (usable inside a batch); read it with cardKeyStock. It reads the counts
 * card_keys' triggers keep (schema/d1/0199), a few rows whatever the stock, not the keys.
 */
export function cardKeyStockStmt(db: D1Database, tenantId: string, productId: string) {
  return db
    .prepare(
      `SELECT
         SUM(CASE WHEN status = 'available' AND reusable = 0 THEN n END) AS available,
         SUM(CASE WHEN status = 'available' AND reusable = 1 THEN n END) AS loops,
         SUM(CASE WHEN status = 'reserved' THEN n END) AS reserved,
         SUM(CASE WHEN status = 'delivered' THEN n END) AS delivered
       FROM card_key_stock WHERE tenant_id = ? AND product_id = ?`,
    )
    .bind(tenantId, productId);
}

export function cardKeyStock(r: CardKeyStockRow | null | undefined): StockCounts {
  const loops = r?.loops ?? 0;
  return {
    available: loops > 0 ? 1_000_000 : (r?.available ?? 0),
    reserved: r?.reserved ?? 0,
    delivered: r?.delivered ?? 0,
    total: loops > 0 ? null : (r?.available ?? 0) + (r?.reserved ?? 0) + (r?.delivered ?? 0),
  };
}

/**
 * The stock left as a scalar subquery, and whether a reservation of `taken` (a subquery or a number) just crossed the
 * low-stock threshold — for the low_stock event row in the reservation's own batch. Unlimited stock never crosses.
 */
export function lowStockCrossing(tenantId: string, product: Pick<ProductRow, "id" | "kind" | "low_stock_threshold">, taken: { sql: string; args: unknown[] }) {
  const available = product.kind === "card_key"
    ? { sql: "SELECT COALESCE(SUM(n), 0) FROM card_key_stock WHERE tenant_id = ? AND product_id = ? AND status = 'available' AND reusable = 0", args: [tenantId, product.id] }
    : { sql: "SELECT stock_total - stock_reserved - stock_sold FROM products WHERE tenant_id = ? AND id = ?", args: [tenantId, product.id] };
  const limited = product.kind === "card_key"
    ? { sql: "NOT EXISTS (SELECT 1 FROM card_key_stock WHERE tenant_id = ? AND product_id = ? AND status = 'available' AND reusable = 1 AND n > 0)", args: [tenantId, product.id] }
    : { sql: "(SELECT stock_total FROM products WHERE tenant_id = ? AND id = ?) IS NOT NULL", args: [tenantId, product.id] };
  const t = product.low_stock_threshold;
  const guard: SqlGuard = {
    sql: `${limited.sql} AND (${taken.sql}) > 0 AND (${available.sql}) <= ? AND (${available.sql}) + (${taken.sql}) > ?`,
    args: [...limited.args, ...taken.args, ...available.args, t, ...available.args, ...taken.args, t],
  };
  return { available, guard };
}

/** Stock per product: card keys from their counts (reusable keys count as unlimited), others from counters. */
export async function stockCounts(db: D1Database, tenantId: string, product: ProductRow): Promise<StockCounts> {
  if (product.kind === "card_key") return cardKeyStock(await cardKeyStockStmt(db, tenantId, product.id).first<CardKeyStockRow>());
  return counterStock(product);
}

/** stockCounts of many products in one round trip (a list page), by product id. */
export async function stockCountsOf(db: D1Database, tenantId: string, products: ProductRow[]): Promise<Map<string, StockCounts>> {
  const keyed = products.filter((p) => p.kind === "card_key");
  const read = keyed.length ? await db.batch<CardKeyStockRow>(keyed.map((p) => cardKeyStockStmt(db, tenantId, p.id))) : [];
  const out = new Map(keyed.map((p, i) => [p.id, cardKeyStock(read[i]!.results[0])]));
  for (const p of products) if (p.kind !== "card_key") out.set(p.id, counterStock(p));
  return out;
}

function counterStock(product: ProductRow): StockCounts {
  const total = product.stock_total;
  return {
    available: total === null ? 1_000_000 : total - product.stock_reserved - product.stock_sold,
    reserved: product.stock_reserved,
    delivered: product.stock_sold,
    total,
  };
}

/** Counts one sale of counter stock, only if stock is left and this source has no voucher yet (for issueVoucher's batch). */
export function sellOneForSourceStmt(db: D1Database, tenantId: string, productId: string, sourceKey: string) {
  return db
    .prepare(
      `UPDATE products SET stock_sold = stock_sold + 1
       WHERE tenant_id = ? AND id = ? AND (stock_total IS NULL OR stock_total - stock_reserved - stock_sold >= 1)
         AND NOT EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND source_key = ?)`,
    )
    .bind(tenantId, productId, tenantId, sourceKey);
}
