import banned from "../../schema/data/banned-phrases.json";
import { validityEnded } from "../domain/validity";
import { BannedPhraseList, type ComplianceFinding, type CreateProductInput, type Product, type ProductConfig, type StockCounts } from "../../schema/catalog";
import { findBannedPhrases, outsideAllowedWords } from "../domain/compliance";
import lint from "../../schema/data/campaign-lint.json";
import { newId } from "../domain/crypto";
import { getProductRow, insertProduct, listProductRows, productStatusIsNot, setProductStatus, stockCounts, stockCountsOf, toProduct, updateProduct, type ProductRow } from "../db/products";
import { offeredByCampaign } from "../db/campaigns";
import { ApiError } from "../errors";
import type { ErrorIssue } from "../../schema/errors";
import { syncCouponBudget } from "./coupons";
import { eventRows } from "../queue/emit";

/** Absolute claims refused in any copy a buyer reads (products here, campaigns in services/campaigns.ts). */
export const BANNED_PHRASES = BannedPhraseList.parse(banned).phrases;

/** The copy a buyer reads; every field is checked before publishing. */
export function productCopy(p: Pick<Product, "name" | "subtitle" | "description" | "scope" | "usageRules" | "tutorial">) {
  return { name: p.name, subtitle: p.subtitle, description: p.description, scope: p.scope, usageRules: p.usageRules, tutorial: p.tutorial };
}

/** The list's phrase beside words that only match it normalised ("１００％" is "100%"); nothing when they are the same. */
export function asListed(f: ComplianceFinding): string {
  return f.text === f.phrase ? "" : ` (${f.phrase})`;
}

export function checkCopy(texts: Record<string, string>): ComplianceFinding[] {
  // The same ordinary words a campaign's copy may hold ("每人最多兑换 1 次", "第一步") are no claim in a product's either.
  return outsideAllowedWords(findBannedPhrases(texts, BANNED_PHRASES), texts, lint.allowed);
}

/** Stock for display; a bundle has as many as its scarcest item allows (and its own cap, if any). */
export async function withStock(db: D1Database, tenantId: string, row: ProductRow, own?: StockCounts): Promise<Product> {
  const stock = own ? { ...own } : await stockCounts(db, tenantId, row);
  if (row.kind === "bundle") {
    for (const item of (JSON.parse(row.config) as ProductConfig).bundle?.items ?? []) {
      const p = await getProductRow(db, tenantId, item.productId);
      const s = p ? await stockCounts(db, tenantId, p) : { available: 0 };
      stock.available = Math.min(stock.available, Math.floor(s.available / item.quantity));
    }
  }
  return { ...toProduct(row), stock };
}

/** The tenant's products (optionally of one status), each with its stock. */
export async function listProducts(db: D1Database, tenantId: string, status?: Product["status"]): Promise<Product[]> {
  return withStocks(db, tenantId, await listProductRows(db, tenantId, status));
}

/** withStock for a list: the products' own counts in one round trip, then each bundle's items. */
export async function withStocks(db: D1Database, tenantId: string, rows: ProductRow[]): Promise<Product[]> {
  const own = await stockCountsOf(db, tenantId, rows);
  return Promise.all(rows.map((r) => withStock(db, tenantId, r, own.get(r.id))));
}

/** One of the tenant's products with its stock; 404 when it is not this tenant's. */
export async function productById(db: D1Database, tenantId: string, id: string): Promise<Product> {
  const row = await getProductRow(db, tenantId, id);
  if (!row) throw ApiError.notFound("Product");
  return withStock(db, tenantId, row);
}

/** A product's own stock counts (a bundle's are its own cap, not its items'); 404 when it is not this tenant's. */
export async function productStock(db: D1Database, tenantId: string, id: string): Promise<StockCounts> {
  const row = await getProductRow(db, tenantId, id);
  if (!row) throw ApiError.notFound("Product");
  return stockCounts(db, tenantId, row);
}

async function validateBundle(db: D1Database, tenantId: string, input: Pick<CreateProductInput, "kind" | "config">) {
  if (input.kind === "coupon" && !input.config.coupon) throw ApiError.badRequest("coupon_config_required", "A coupon needs config.coupon (kind and its amounts, see CouponConfig)");
  if (input.kind !== "bundle") return;
  const items = input.config.bundle?.items;
  if (!items) throw ApiError.badRequest("bundle_items_required", "A bundle needs config.bundle.items");
  for (const item of items) {
    const p = await getProductRow(db, tenantId, item.productId);
    if (!p || p.kind === "bundle") {
      throw ApiError.badRequest("bundle_item_invalid", `Bundle item ${item.productId} is not a product of this tenant`, [
        { path: "json.config.bundle.items", message: `unknown or nested product ${item.productId}`, code: "invalid_item" },
      ]);
    }
  }
}

export async function createProduct(db: D1Database, tenantId: string, input: CreateProductInput): Promise<Product> {
  await validateBundle(db, tenantId, input);
  const row = await insertProduct(db, tenantId, newId("prd"), input);
  await syncCouponBudget({ DB: db }, tenantId, row);
  return withStock(db, tenantId, row);
}

export async function patchProduct(db: D1Database, tenantId: string, id: string, patch: Partial<CreateProductInput>): Promise<Product> {
  const current = await getProductRow(db, tenantId, id);
  if (!current) throw ApiError.notFound("Product");
  if (patch.config) await validateBundle(db, tenantId, { kind: current.kind, config: patch.config });
  // A published product stays publishable: edits are checked like a publish, before anything is saved.
  if (current.status === "published") assertPublishable({ ...toProduct(current), ...patch } as Product);
  // A draft or archived product that a campaign not yet ended offers (or gives as a prize) shows its copy on the
  // campaign's public page: new copy is held to the same absolute-claim check (campaigns.ts checkProducts at create).
  else if ([...COPY_FIELDS, "validity"].some((f) => patch[f as keyof typeof patch] !== undefined) && (await offeredByCampaign(db, tenantId, id))) {
    const next = { ...toProduct(current), ...patch } as Product;
    const unclear = missingTerms(next);
    if (unclear.length) throw new ApiError(422, "not_publishable", "A campaign offers this product: it must keep a validity and a scope of use", unclear);
    assertCopyClean(productCopy(next));
  }
  const row = (await updateProduct(db, tenantId, id, patch))!;
  if (patch.config) await syncCouponBudget({ DB: db }, tenantId, row);
  return withStock(db, tenantId, row);
}

/**
 * Refuses publishing without validity or scope, with a fixed validity already over (a buyer would get a right that
 * cannot be used), or with banned absolute claims (the phrase and where it stands).
 */
export function assertPublishable(p: Product, now = Date.now()) {
  const issues: ErrorIssue[] = missingTerms(p).map((m) => ({ ...m, message: `${m.message} to publish` }));
  if (p.validity?.kind === "fixed" && p.validity.validTo <= p.validity.validFrom) {
    issues.push({ path: "validity.validTo", message: "must be after validFrom", code: "invalid_window" });
  } else if (validityEnded(p.validity, now)) {
    issues.push({ path: "validity.validTo", message: "the validity has ended: a buyer would get a right that can no longer be used", code: "validity_ended" });
  }
  for (const f of checkCopy(productCopy(p))) {
    issues.push({ path: `${f.field}[${f.index}]`, message: `banned absolute claim “${f.text}”${asListed(f)} at ${f.index}: …${f.excerpt}…`, code: "banned_phrase" });
  }
  if (issues.length) throw new ApiError(422, "not_publishable", "The product cannot be published as it stands", issues);
}

/** What a buyer must be told about a right before getting it: how long it lasts and where it can be used. */
export function missingTerms(p: Pick<Product, "validity" | "scope">): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  if (!p.validity) issues.push({ path: "validity", message: "a validity (fixed window or N days) is required", code: "missing_validity" });
  if (!p.scope.trim()) issues.push({ path: "scope", message: "the scope of use is required", code: "missing_scope" });
  return issues;
}

const COPY_FIELDS = ["name", "subtitle", "description", "scope", "usageRules", "tutorial"] as const;

/** 422 not_publishable when the copy holds a banned absolute claim (the phrase and where it stands). */
function assertCopyClean(copy: Record<string, string>) {
  const issues = checkCopy(copy).map((f) => ({ path: `${f.field}[${f.index}]`, message: `banned absolute claim “${f.text}”${asListed(f)} at ${f.index}: …${f.excerpt}…`, code: "banned_phrase" }));
  if (issues.length) throw new ApiError(422, "not_publishable", "A campaign offers this product: its copy cannot hold a banned absolute claim", issues);
}


/** Sets a product's status; a move to 'published' records product_published in the same transaction (a repeat does not). */
export async function changeStatus(env: Env, tenantId: string, id: string, status: Product["status"], byKeyId: string | null): Promise<Product> {
  const db = env.DB;
  const row = await getProductRow(db, tenantId, id);
  if (!row) throw ApiError.notFound("Product");
  if (status === "published") assertPublishable(toProduct(row));
  const published = status === "published"
    ? eventRows(env, [{ tenantId, type: "product_published", actor: { apiKeyId: byKeyId }, payload: { productId: id, kind: row.kind } }], productStatusIsNot(tenantId, id, "published"))
    : [];
  return withStock(db, tenantId, (await setProductStatus(db, tenantId, id, status, published))!);
}
