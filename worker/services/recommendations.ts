/**
 * Recommendations at the edge (issue 19 item 7). The hourly refresh asks the warehouse for a tenant's co-purchase
 * lists and caches them in D1; pages read only the cache, filtered to published products, so they never wait for
 * the warehouse, and an outage leaves the last cache in place.
 */
import type { RecommendedProduct, Recommendations, RecommendationsResult, ScoredProduct } from "../../schema/recommendations";
import { getProductRow, type ProductRow } from "../db/products";
import {
  claimRun, heldProductIds, lastRun, markAttempt, publishedProductRows, readRecommendation, recordRunError, tenantsDue, writeRun, type CacheRow,
} from "../db/recommendations";
import { ApiError } from "../errors";
import { warehouseRead } from "./warehouse";

export const REFRESH_EVERY_MS = 60 * 60_000;
/**
 * Tenants refreshed per cron minute (their warehouse queries at once). One whose last run failed or found nothing is
 * tried again after 5, 10, 20, 40 minutes, then hourly (db/recommendations.ts DUE): idle brands do not
 * take the minute's slots from brands with sales.
 */
const TENANTS_PER_RUN = 10;
const LIST_SIZE = 8;

async function present(db: D1Database, tenantId: string, scored: ScoredProduct[], limit: number): Promise<RecommendedProduct[]> {
  const rows = new Map((await publishedProductRows(db, tenantId, scored.map((s) => s.productId))).map((r) => [r.id, r]));
  return scored.flatMap((s) => {
    const r = rows.get(s.productId);
    return r ? [view(r, s.score)] : [];
  }).slice(0, limit);
}

const view = (r: ProductRow, score: number): RecommendedProduct => ({
  id: r.id, name: r.name, subtitle: r.subtitle, kind: r.kind, priceCents: r.price_cents,
  image: (JSON.parse(r.media || "{}") as { images?: string[] }).images?.[0] ?? null, score,
});

/** "Others also bought" for a published product; 404 for a draft, archived or unknown one. */
export async function alsoBought(db: D1Database, tenantId: string, productId: string, limit: number): Promise<Recommendations> {
  const product = await getProductRow(db, tenantId, productId);
  if (!product || product.status !== "published") throw ApiError.notFound("Product");
  const cached = await readRecommendation(db, tenantId, "also_bought", productId);
  const items = await present(db, tenantId, (cached?.items ?? []).filter((i) => i.productId !== productId), limit);
  return { surface: "also_bought", source: items.length ? "also_bought" : "none", computedAt: cached?.computedAt ?? null, items };
}

/**
 * "For you": the buyer's own list, then the brand's top products, never a product they hold a voucher of. Without a
 * session (or a list) it is the top products.
 */
export async function forYou(db: D1Database, tenantId: string, buyerId: string | null, limit: number): Promise<Recommendations> {
  const [own, top, held] = await Promise.all([
    buyerId ? readRecommendation(db, tenantId, "for_you", buyerId) : null,
    readRecommendation(db, tenantId, "top", ""),
    buyerId ? heldProductIds(db, tenantId, buyerId) : new Set<string>(),
  ]);
  const seen = new Set(held);
  const pick = (list: ScoredProduct[] | undefined) => (list ?? []).filter((i) => !seen.has(i.productId) && seen.add(i.productId));
  const mine = await present(db, tenantId, pick(own?.items), limit);
  const rest = mine.length < limit ? await present(db, tenantId, pick(top?.items).map((i) => ({ ...i, score: 0 })), limit - mine.length) : [];
  const items = [...mine, ...rest];
  return {
    surface: "for_you",
    source: mine.length ? "for_you" : rest.length ? "top" : "none",
    computedAt: own?.computedAt ?? top?.computedAt ?? null,
    items,
  };
}

export function cacheRows(r: RecommendationsResult): CacheRow[] {
  return [
    ...r.alsoBought.map((a) => ({ kind: "also_bought" as const, subjectId: a.productId, items: a.items.map(({ productId, score }) => ({ productId, score })) })),
    ...r.forYou.map((f) => ({ kind: "for_you" as const, subjectId: f.userId, items: f.items })),
    { kind: "top" as const, subjectId: "", items: r.top },
  ];
}

/** One tenant: ask the warehouse, then swap the cache. A failure is recorded and the previous cache stays. */
export async function refreshTenantRecommendations(env: Env, tenantId: string, now = new Date()): Promise<"refreshed" | "failed"> {
  try {
    const result = await warehouseRead<RecommendationsResult>(env, "/v1/recommendations", { tenantId, limit: LIST_SIZE });
    const lists = result.alsoBought.length + result.forYou.length + (result.top.length ? 1 : 0);
    await writeRun(env.DB, tenantId, crypto.randomUUID(), now.toISOString(), cacheRows(result), lists);
    return "refreshed";
  } catch (e) {
    console.warn(JSON.stringify({ at: "recommendations", tenantId, problem: "refresh_failed", detail: String(e) }));
    await recordRunError(env.DB, tenantId, e instanceof Error ? e.message : String(e));
    return "failed";
  }
}

/** Cron: the tenants whose cache is due (hourly; failed or empty ones sooner, backing off), each claimed so it runs once. */
export async function refreshRecommendations(env: Env, now = new Date()) {
  const before = new Date(now.getTime() - REFRESH_EVERY_MS).toISOString();
  const due = await tenantsDue(env.DB, before, now.toISOString(), TENANTS_PER_RUN);
  // In parallel: the minute's run waits for the slowest tenant, not their sum.
  const done = await Promise.all(due.map(async (tenantId) =>
    (await claimRun(env.DB, tenantId, now.toISOString(), before)) ? [[tenantId, await refreshTenantRecommendations(env, tenantId, now)] as const] : []));
  return Object.fromEntries(done.flat());
}

/** The operator's refresh now (e.g. after a data import); answers the state of the cache afterwards. */
export async function refreshNow(env: Env, tenantId: string, now = new Date()) {
  await markAttempt(env.DB, tenantId, now.toISOString());
  const outcome = await refreshTenantRecommendations(env, tenantId, now);
  return { outcome, ...(await recommendationState(env.DB, tenantId)) };
}

export async function recommendationState(db: D1Database, tenantId: string) {
  const run = await lastRun(db, tenantId);
  return { computedAt: run?.computed_at ?? null, attemptedAt: run?.attempted_at ?? null, lastError: run?.last_error ?? null, lists: run?.lists ?? 0 };
}
