/**
 * Many orders of one product at once — the won claims of a flash sale, as the claims consumer receives them — in two
 * D1 round trips instead of five or more each: one read (earlier orders under these keys, the product, whether it has
 * a key left) and one transaction holding every order's common case (services/orders.ts placeStmts; each statement
 * guarded on its own order). Whatever the common case does not cover — an earlier order under the key, a bundle, a
 * recharge, a plainly empty card-key product, a shortfall, a refusal — goes the single-order way, so the answers are
 * createOrder's, item by item.
 */
import { mayHaveKeysStmt } from "../db/card-keys";
import { ordersByIdempotencyKeysStmt, type OrderRow } from "../db/orders";
import { productRowStmt, type ProductRow } from "../db/products";
import { createOrder, draftOrder, finishPlaced, placedOf, placeStmts, requestHashOf, sellable, type CreatedOrder, type CreateOrderParams, type DraftOrder } from "./orders";

/** At most this many orders per transaction (and per key lookup: D1 binds at most 100 values per statement). */
export const ORDERS_PER_BATCH = 50;

export type OrderOutcome = { ok: true; value: CreatedOrder } | { ok: false; error: unknown };

const settle = (p: Promise<CreatedOrder>): Promise<OrderOutcome> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/** Orders for `ps` (one tenant, one product), answers in input order; a refusal is that item's error, as createOrder would throw it. */
export async function createOrders(env: Env, ps: CreateOrderParams[]): Promise<OrderOutcome[]> {
  const out: OrderOutcome[] = [];
  for (let i = 0; i < ps.length; i += ORDERS_PER_BATCH) out.push(...(await createChunk(env, ps.slice(i, i + ORDERS_PER_BATCH))));
  return out;
}

async function createChunk(env: Env, ps: CreateOrderParams[]): Promise<OrderOutcome[]> {
  const one = (p: CreateOrderParams) => settle(createOrder(env, p));
  const first = ps[0];
  if (!first || ps.length === 1 || ps.some((p) => p.newGuest || p.tenantId !== first.tenantId || p.productId !== first.productId)) {
    return Promise.all(ps.map(one));
  }
  const db = env.DB;
  const [priorR, productR, keyR] = await db.batch([
    ordersByIdempotencyKeysStmt(db, first.tenantId, ps.map((p) => p.idempotencyKey)),
    productRowStmt(db, first.tenantId, first.productId),
    mayHaveKeysStmt(db, first.tenantId, first.productId),
  ]);
  const priorKeys = new Set((priorR!.results as OrderRow[]).map((o) => o.idempotency_key));
  const row = productR!.results[0] as ProductRow | undefined;
  // Not the common case for anyone: the single-order way gives each item its own answer.
  if (!row || row.kind === "bundle" || row.kind === "direct_recharge" || (row.kind === "card_key" && keyR!.results.length === 0)) {
    return Promise.all(ps.map(one));
  }
  const answers = new Array<Promise<OrderOutcome>>(ps.length);
  const drafts: { at: number; d: DraftOrder; product: ProductRow; from: number; to: number }[] = [];
  const stmts: D1PreparedStatement[] = [];
  for (const [at, p] of ps.entries()) {
    let product: ProductRow;
    try {
      product = sellable(p, row);
    } catch (error) {
      answers[at] = Promise.resolve({ ok: false, error });
      continue;
    }
    // A repeat (an earlier delivery of the same fact got this far): createOrder answers it as a repeat.
    if (priorKeys.has(p.idempotencyKey)) {
      answers[at] = one(p);
      continue;
    }
    const d = draftOrder(env, p, product, await requestHashOf(p));
    const placed = placeStmts(env, d, product);
    drafts.push({ at, d, product, from: stmts.length, to: stmts.length + placed.length });
    stmts.push(...placed);
  }
  if (drafts.length) {
    let results: D1Result[] | null = null;
    try {
      results = await db.batch(stmts);
    } catch (e) {
      // Nothing of the transaction was applied: each goes the single-order way (keyed, so nothing twice).
      console.warn(JSON.stringify({ at: "createOrders", problem: "batch_failed", orders: drafts.length, error: e instanceof Error ? e.message : String(e) }));
    }
    for (const { at, d, product, from, to } of drafts) {
      answers[at] = results
        ? settle(finishPlaced(env, d, product, [{ product, quantity: d.order.quantity }], placedOf(results.slice(from, to), d, product)))
        : one(d.p);
    }
  }
  return Promise.all(answers);
}
