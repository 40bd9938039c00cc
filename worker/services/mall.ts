/**
 * The points mall (积分商城, issue 17). An exchange takes the item's stock, checks the member's limit and spends the
 * points in ONE batch (db/mall.ts insertExchangeStmt + the spend movement, all guarded on the exchange row), then
 * places an ordinary order for the cash part (services/orders.ts createOrder, keyed by the exchange). If the order is
 * refused, the exchange is returned at once (points and stock back); if it is later refunded, cancelled or lapses
 * unpaid, returnExchange gives them back (right after a refund, and the cron's sweep catches anything left). So points
 * are never spent without an order, and nothing is delivered without its points spent (they go first).
 */
import type { MallItem } from "../../schema/points";
import { ProductKind, ProductStatus } from "../../schema/catalog";
import { newId } from "../domain/crypto";
import { getOrderByIdempotencyKey, getOrderRow, productsAtLimit } from "../db/orders";
import {
  exchangeByKey, exchangeDebit, exchangeExists, exchangeOfOrder, exchangesOfMember, getItem, insertExchangeStmt, insertItem, listItems,
  returnExchangeStmts, setExchangeOrderStmt, takeStockStmt, updateItem, type ExchangeRow, type MallItemRow,
} from "../db/mall";
import { memberById } from "../db/members";
import { returnDebitStmts } from "../db/points";
import { getProductRow } from "../db/products";
import { getChargeOfOrder } from "../db/payments";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { requireMember } from "./member-lookup";
import { checkoutPath, createOrder } from "./orders";
import { expireDueOfMember, movementEventRows, movementStmts } from "./points";

/** productStatus: the catalog product's status now (an item on a product unpublished later is not exchangeable). */
export function toItem(r: MallItemRow, productStatus: string | null, productKind: string | null): MallItem {
  const status = ProductStatus.safeParse(productStatus);
  const kind = ProductKind.safeParse(productKind);
  const published = status.data === "published";
  return {
    id: r.id, productId: r.product_id, title: r.title, points: r.points, cashCents: r.cash_cents, stockTotal: r.stock_total, stockLeft: r.stock_left,
    perMemberLimit: r.per_member_limit, active: !!r.active, productStatus: status.success ? status.data : null,
    productKind: kind.success ? kind.data : null, exchangeable: !!r.active && published,
  };
}

type ItemInput = { productId: string; title: string; points: number; cashCents: number; stock: number; perMemberLimit: number | null; active: boolean };

/**
 * An item is active only on a published product (publishing is where validity, scope and wording are checked): 422
 * invalid_mall_item like a group buy's. Saving one inactive is allowed, so the operator can still switch off an item
 * whose product was unpublished later.
 */
export async function saveItem(env: Env, tenantId: string, input: ItemInput, itemId?: string): Promise<MallItem> {
  const product = await getProductRow(env.DB, tenantId, input.productId);
  if (!product) throw ApiError.badRequest("unknown_product", "productId is not a product of this brand", [{ path: "productId", message: "unknown product", code: "custom" }]);
  if (input.active && product.status !== "published") {
    const message = "The product must be published";
    throw new ApiError(422, "invalid_mall_item", message, [{ path: "json.productId", message, code: "invalid_mall_item" }]);
  }
  const row = {
    tenant_id: tenantId, product_id: input.productId, title: input.title, points: input.points, cash_cents: input.cashCents,
    stock_total: input.stock, per_member_limit: input.perMemberLimit, active: input.active ? 1 : 0,
  };
  const saved = itemId ? await updateItem(env.DB, { ...row, id: itemId }) : await insertItem(env.DB, { ...row, id: newId("mi"), stock_left: input.stock });
  if (!saved && itemId) await refuseStockBelowTaken(env, tenantId, itemId);
  if (!saved) throw ApiError.notFound("Mall item");
  return toItem(saved, product.status, product.kind);
}

/**
 * The update changed nothing: either there is no such item (404, by the caller) or the new stock is below what
 * members already took (409 stock_below_taken, nothing changed). Refused rather than clamped: a total under what was
 * handed out cannot be true, and a silent clamp let returned exchanges raise stock_left above the new total.
 */
async function refuseStockBelowTaken(env: Env, tenantId: string, itemId: string) {
  const now = await getItem(env.DB, tenantId, itemId);
  if (!now) return;
  const taken = now.stock_total - now.stock_left;
  const message = `${taken} already exchanged; the stock cannot be set below ${taken} (set ${taken} to stop further exchanges)`;
  throw new ApiError(409, "stock_below_taken", message, [{ path: "json.stock", message, code: "stock_below_taken" }]);
}

/** forMembers: only the items a member can exchange (active, product published). */
export const mallItems = async (env: Env, tenantId: string, forMembers: boolean) =>
  (await listItems(env.DB, tenantId, forMembers)).map((r) => toItem(r, r.product_status, r.product_kind));

async function view(env: Env, x: ExchangeRow) {
  const [order, member, charge] = await Promise.all([
    x.order_id ? getOrderRow(env.DB, x.tenant_id, x.order_id) : null,
    memberById(env.DB, x.tenant_id, x.member_id),
    x.order_id ? getChargeOfOrder(env.DB, x.tenant_id, x.order_id) : null,
  ]);
  return {
    id: x.id, itemId: x.item_id, points: x.points, cashCents: x.cash_cents, orderId: order ? order.id : null, status: x.status,
    orderStatus: order?.status ?? null, checkoutUrl: order?.status === "created" && charge ? checkoutPath(charge.id) : null, balance: member?.points_balance ?? 0,
  };
}

export async function exchange(env: Env, tenantId: string, buyerId: string, itemId: string, key: string) {
  const member = await requireMember(env, tenantId, buyerId);
  const prior = await exchangeByKey(env.DB, tenantId, member.id, key);
  if (prior) {
    if (prior.item_id !== itemId) throw ApiError.conflict("idempotency_key_reused", "This Idempotency-Key was used for another item");
    return { created: false, exchange: await view(env, prior) };
  }
  const item = await getItem(env.DB, tenantId, itemId);
  if (!item || !item.active) throw ApiError.notFound("Mall item");
  // Checked before any point is spent; createOrder checks it again (requirePublished) should it be unpublished meanwhile.
  if ((await getProductRow(env.DB, tenantId, item.product_id))?.status !== "published") {
    throw ApiError.conflict("product_unavailable", "该商品已下架，暂不可兑换 / The item's product is not on sale");
  }
  // Points past their date are not spendable, even in the minute before the cron expires them.
  await expireDueOfMember(env, tenantId, member.id);
  const id = newId("mx");
  const spend = await movementStmts(env, {
    tenantId, memberId: member.id, kind: "spend", sourceKind: "mall", sourceId: id, points: -item.points, reason: item.title, buyerId, guard: exchangeExists(id),
  });
  const [ins] = await env.DB.batch([
    insertExchangeStmt(env.DB, { id, tenant_id: tenantId, item_id: item.id, member_id: member.id, buyer_id: buyerId, idempotency_key: key }),
    takeStockStmt(env.DB, tenantId, item.id, id),
    ...spend.stmts,
  ]);
  if (!ins!.meta.changes) {
    const raced = await exchangeByKey(env.DB, tenantId, member.id, key);
    if (raced) return { created: false, exchange: await view(env, raced) };
    const now = (await getItem(env.DB, tenantId, itemId))!;
    if (now.stock_left <= 0) throw ApiError.conflict("sold_out", "This mall item is out of stock");
    const m = (await memberById(env.DB, tenantId, member.id))!;
    if (m.points_balance < now.points) throw ApiError.conflict("insufficient_points", `This item needs ${now.points} points; the balance is ${m.points_balance}`);
    throw ApiError.conflict("purchase_limit", `At most ${now.per_member_limit} per member for this item`);
  }
  const placed = (await exchangeByKey(env.DB, tenantId, member.id, key))!;
  let orderId: string;
  try {
    const res = await createOrder(env, {
      tenantId, buyerId, productId: item.product_id, idempotencyKey: `mall:${id}`, source: `mall:${item.id}`, unitPriceCents: item.cash_cents, requirePublished: true,
    });
    orderId = res.order.id;
  } catch (e) {
    await returnExchange(env, placed, "order_refused");
    throw e;
  }
  await env.DB.batch(attachOrderStmts(env, placed, orderId, item.product_id));
  return { created: true, exchange: await view(env, (await exchangeByKey(env.DB, tenantId, member.id, key))!) };
}

/** The exchange takes its order ('placed' → 'ordered') and records mall_exchanged, once. */
function attachOrderStmts(env: Env, x: ExchangeRow, orderId: string, productId: string) {
  return [
    setExchangeOrderStmt(env.DB, x.tenant_id, x.id, orderId),
    ...eventRows(env, [{
      eventId: `evmx_${x.id}`, tenantId: x.tenant_id, type: "mall_exchanged", actor: { userId: x.buyer_id },
      payload: { orderId, productId, campaignId: null, memberId: x.member_id, mallItemId: x.item_id, points: x.points, amountCents: x.cash_cents },
    }], { sql: "changes() = 1", args: [] }),
  ];
}

/**
 * Cron: an exchange left 'placed' (the request died after its points were spent). If its order was placed before
 * the crash (the key `mall:<exchange>`), the exchange takes it — returning the points then would hand out an order
 * (a points-only one is delivered at once) for nothing; the order's own refund, cancellation or expiry gives them back
 * as for any exchange. With no order, the points and stock go back.
 */
export async function settlePlacedExchange(env: Env, x: ExchangeRow): Promise<void> {
  const order = await getOrderByIdempotencyKey(env.DB, x.tenant_id, `mall:${x.id}`);
  if (!order) return returnExchange(env, x, "order_not_delivered");
  await env.DB.batch(attachOrderStmts(env, x, order.id, order.product_id));
  if (["refunded", "cancelled", "expired"].includes(order.status)) await returnExchange(env, { ...x, order_id: order.id }, "order_not_delivered");
}

/** Points and stock back, once (the exchange moves to 'returned' once; the credit is keyed by the exchange). */
export async function returnExchange(env: Env, x: ExchangeRow, reason: string): Promise<void> {
  const mv = newId("pm");
  const returned = { sql: "EXISTS (SELECT 1 FROM mall_exchanges WHERE id = ? AND status = 'returned')", args: [x.id] };
  await env.DB.batch([
    ...returnExchangeStmts(env.DB, x.tenant_id, x.id),
    ...returnDebitStmts(env.DB, { id: mv, tenantId: x.tenant_id, memberId: x.member_id, kind: "reverse", sourceKind: "mall", sourceId: x.id, orderId: x.order_id, reason }, exchangeDebit(x.tenant_id, x.id), returned),
    ...movementEventRows(env, x.tenant_id, "reverse", mv, { userId: x.buyer_id }),
  ]);
  await scheduleDispatch(env);
}

/** After an order was refunded (services/fulfilment.ts): a mall exchange's points go back. */
export async function returnMallExchangeOfOrder(env: Env, tenantId: string, orderId: string): Promise<void> {
  const x = await exchangeOfOrder(env.DB, tenantId, orderId);
  if (x && x.status !== "returned") await returnExchange(env, x, "order_refunded");
}

export async function myExchanges(env: Env, tenantId: string, memberId: string) {
  return (await exchangesOfMember(env.DB, tenantId, memberId, 50)).map((x) => ({
    id: x.id, itemId: x.item_id, points: x.points, cashCents: x.cash_cents, orderId: x.order_id, status: x.status,
    orderStatus: x.order_status, createdAt: x.created_at,
  }));
}

/** The mall as a member sees it: active items, their balance and their exchanges. */
export async function memberMall(env: Env, tenantId: string, buyerId: string) {
  let member = await requireMember(env, tenantId, buyerId);
  if (await expireDueOfMember(env, tenantId, member.id)) member = await requireMember(env, tenantId, buyerId);
  const items = await mallItems(env, tenantId, true);
  // An exchange is an order of the product, so its per-buyer limit applies: the page says so instead of offering it.
  const atLimit = await productsAtLimit(env.DB, tenantId, buyerId, [...new Set(items.map((i) => i.productId))].slice(0, 90));
  return {
    balance: member.points_balance, items, exchanges: await myExchanges(env, tenantId, member.id),
    productLimitReached: items.filter((i) => atLimit.has(i.productId)).map((i) => i.id),
  };
}
