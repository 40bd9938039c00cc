import { checkoutPayer, loadOfOrder } from "./stored-value";
import { STORED_VALUE_SOURCE } from "../domain/stored-value";
import { validityEnded } from "../domain/validity";
import type { Product, ProductConfig } from "../../schema/catalog";
import type { Voucher } from "../../schema/vouchers";
import { MAX_ORDER_QUANTITY, type MyOrder, type Order } from "../../schema/orders";
import { getOrderRow, listBuyerOrdersWithProduct, orderWithVouchersAndCharge, toOrder, type OrderRow } from "../db/orders";
import { ASK_AFTER_MS, creditIfPaidAtGateway, orderPaid } from "./gateway-credit";
import { getProductRow, listProductRows, rowValidity, type ProductRow } from "../db/products";
import { listVouchersByHolders, toVoucher, type VoucherRow } from "../db/vouchers";
import { ApiError } from "../errors";
import { withStock, withStocks } from "./catalog";
import { returnMallExchangeOfOrder } from "./mall";
import { cancelOrder, checkoutPath, createOrder, orderReadStmts, type CreateOrderParams } from "./orders";
import { revealVoucher, withNotes, type ProductNotes } from "./vouchers-view";
import { shopMemberTermsWith } from "./membership";
import { couponsOfOrder } from "./coupons";
import { resolveBuyer } from "./buyers";

/** The buyer's own view of one order: 404 unless it is theirs (order ids are unguessable, and also owner-bound). */
export async function ownOrder(env: Env, tenantId: string, buyerId: string, orderId: string) {
  // Buyers poll this until their key shows: one round trip reads the order, its vouchers (with each product's
  // tutorial) and its open charge together. Nothing of it is returned unless the order is the caller's.
  let read = await orderWithVouchersAndCharge(env.DB, tenantId, orderId);
  if (!read.order || read.order.buyer_id !== buyerId) throw ApiError.notFound("Order");
  if (await foundPaid(env, read.order)) read = await orderWithVouchersAndCharge(env.DB, tenantId, orderId);
  return orderView(env, tenantId, { ...read, order: read.order! });
}

/** When an unpaid order's gateway was last asked from its page, per order (per isolate: a bound, not an exact rate). */
const asked = new Map<string, number>();

/**
 * An unpaid order shown to its buyer past the time a notice takes, whose gateway says it was paid (the notice was
 * lost, or our runtime died taking it): credited now, so the page shows the key rather than 待支付 until expiry.
 * Asked at most every 20 s per order, and only for a real gateway's open charge.
 */
async function foundPaid(env: Env, order: OrderRow): Promise<boolean> {
  const now = Date.now();
  if (order.status !== "created" || now - Date.parse(order.created_at) < ASK_AFTER_MS || now - (asked.get(order.id) ?? 0) < ASK_AFTER_MS) return false;
  if (asked.size > 10_000) asked.clear();
  asked.set(order.id, now);
  return creditIfPaidAtGateway(env, "order_page_found_payment", order);
}

/**
 * ownOrder for the buyer a verified session cookie names (middleware/shopper.ts shopperUnchecked): that buyer row is
 * read in the same round trip as the order, then resolved as every shop request resolves it (a merged guest is the
 * account it was merged into; an erased one is nobody).
 */
export async function sessionOrder(env: Env, tenantId: string, sessionBuyerId: string | null | undefined, orderId: string) {
  if (!sessionBuyerId) throw ApiError.noBuyer();
  let read = await orderWithVouchersAndCharge(env.DB, tenantId, orderId, sessionBuyerId);
  const buyer = await resolveBuyer(env, tenantId, sessionBuyerId, read.buyer);
  if (!buyer) throw ApiError.noBuyer();
  if (!read.order || read.order.buyer_id !== buyer.id) throw ApiError.notFound("Order");
  if (await foundPaid(env, read.order)) read = await orderWithVouchersAndCharge(env.DB, tenantId, orderId, sessionBuyerId);
  return orderView(env, tenantId, { ...read, order: read.order! });
}

async function orderView(
  env: Env, tenantId: string,
  read: { order: OrderRow; vouchers: (VoucherRow & { product_tutorial: string | null; product_scope: string | null })[]; charge?: { id: string }; productKind: string | null; productName: string | null },
) {
  const { order: row, charge } = read;
  const notes = new Map<string, ProductNotes>();
  const vouchers = read.vouchers.map(({ product_tutorial, product_scope, ...r }) => {
    notes.set(r.product_id, { tutorial: product_tutorial ?? "", scope: product_scope ?? "" });
    return r as VoucherRow;
  });
  return {
    order: { ...toOrder(row), ...(charge && row.status === "created" ? { checkoutUrl: checkoutPath(charge.id) } : {}) },
    vouchers: await viewVouchers(env, tenantId, vouchers, notes),
    // Which coupon took how much (issue 19); read only when coupons took part.
    ...((row.discount_cents ?? 0) > 0 ? { coupons: await couponsOfOrder(env, tenantId, row.id) } : {}),
    // What was bought, so the page words a failed direct recharge as 充值失败, not 发放失败.
    productKind: (read.productKind as Product["kind"] | null) ?? null,
    productName: read.productName,
    // A stored-value top-up (储值) delivers no voucher: what it put into the card, once credited.
    ...(row.source === STORED_VALUE_SOURCE ? { storedValue: await loadOfOrder(env, tenantId, row.id) } : {}),
    // A bundle's items: its page says which one failed and that the others were not delivered either.
    ...(read.productKind === "bundle" ? { bundleItems: await bundleItemsOf(env.DB, tenantId, row.product_id) } : {}),
  };
}

/** A bundle's items by name, kind and count, in the bundle's order; a component that no longer exists is left out. */
function bundleItemsView(items: { productId: string; quantity: number }[], rows: Map<string, ProductRow>) {
  return items.flatMap((i) => {
    const row = rows.get(i.productId);
    return row ? [{ productId: i.productId, name: row.name, kind: row.kind as Product["kind"], quantity: i.quantity }] : [];
  });
}

/** The bundle items of an order's product (bundleItemsView), read with their rows. */
async function bundleItemsOf(db: D1Database, tenantId: string, productId: string) {
  const bundle = await getProductRow(db, tenantId, productId);
  const items = bundle ? ((JSON.parse(bundle.config) as ProductConfig).bundle?.items ?? []) : [];
  const rows = await Promise.all(items.map((i) => getProductRow(db, tenantId, i.productId)));
  return bundleItemsView(items, new Map(rows.flatMap((r) => (r ? [[r.id, r] as const] : []))));
}

/** Secrets only for rights the holder still has (issued or already redeemed), never for refunded/voided ones. */
export async function viewVouchers(env: Env, tenantId: string, rows: VoucherRow[], known?: Map<string, ProductNotes>): Promise<Voucher[]> {
  const notes = new Map<string, ProductNotes>(known);
  const out: Voucher[] = [];
  for (const r of rows) {
    if (!notes.has(r.product_id)) {
      const product = await getProductRow(env.DB, tenantId, r.product_id);
      notes.set(r.product_id, { tutorial: product?.tutorial ?? "", scope: product?.scope_text ?? "" });
    }
    const own = notes.get(r.product_id)!;
    out.push(r.status === "issued" || r.status === "redeemed" ? await revealVoucher(env, r, own) : withNotes(toVoucher(r), own));
  }
  return out;
}

export async function myVouchers(env: Env, tenantId: string, buyerId: string) {
  return viewVouchers(env, tenantId, await listVouchersByHolders(env.DB, tenantId, [buyerId]));
}

export async function myOrders(env: Env, tenantId: string, buyerId: string): Promise<MyOrder[]> {
  return (await listBuyerOrdersWithProduct(env.DB, tenantId, buyerId)).map(({ product_name, product_media, product_kind, charge_id, refunded_cents, ...row }) => {
    const images = (JSON.parse(product_media ?? "{}") as { images?: string[] }).images ?? [];
    const order = toOrder(row as OrderRow);
    return {
      ...order,
      ...(charge_id && order.status === "created" ? { checkoutUrl: checkoutPath(charge_id) } : {}),
      productName: product_name ?? "",
      productImage: images[0] ?? null,
      productKind: (product_kind as Product["kind"] | null) ?? null,
      refundedCents: refunded_cents,
    };
  });
}

/**
 * A product as a buyer sees it: without the tenant, the stock total or the low-stock threshold. A bundle with a
 * direct-recharge item carries that item's account rule as its `config.recharge`: the order needs the account
 * (orders.ts checks it against each recharge line), so the product page must ask for it. A bundle also lists its
 * items by name (`bundleItems`), which the buyer could not otherwise see.
 */
function publicView(p: Product, rows: Map<string, ProductRow>) {
  const { tenantId: _t, stockTotal: _s, lowStockThreshold: _l, ...own } = p;
  if (p.kind !== "bundle") return own;
  // What the bundle holds, by name (its page lists them under the price); a component that no longer exists is left out.
  const bundleItems = bundleItemsView(p.config.bundle?.items ?? [], rows);
  const rest = { ...own, bundleItems };
  if (p.config.recharge) return rest;
  const recharge = (p.config.bundle?.items ?? []).map((i) => rows.get(i.productId)).find((r) => r?.kind === "direct_recharge");
  if (!recharge) return rest;
  const rule = (JSON.parse(recharge.config) as ProductConfig).recharge ?? { accountLabel: "充值账号" };
  return { ...rest, config: { ...rest.config, recharge: rule } };
}

/** The rows of the bundles' items not among `known` (a component need not be published itself). */
async function withBundleItems(db: D1Database, tenantId: string, products: Product[], known: ProductRow[]) {
  const rows = new Map(known.map((r) => [r.id, r]));
  const missing = [...new Set(products.flatMap((p) => (p.kind === "bundle" ? (p.config.bundle?.items ?? []).map((i) => i.productId) : [])))].filter((id) => !rows.has(id));
  for (const row of await Promise.all(missing.map((id) => getProductRow(db, tenantId, id)))) if (row) rows.set(row.id, row);
  return rows;
}

/** The store's catalogue: published products, less those whose fixed validity is over (no longer sold). */
export async function publishedProducts(env: Pick<Env, "DB">, tenantId: string, now = Date.now()) {
  const rows = (await listProductRows(env.DB, tenantId, "published")).filter((r) => !validityEnded(rowValidity(r), now));
  const products = await withStocks(env.DB, tenantId, rows);
  const items = await withBundleItems(env.DB, tenantId, products, rows);
  return { products: products.map((p) => publicView(p, items)) };
}

/** One published product; 404 for a draft, an archived one or another store's. */
export async function publishedProduct(env: Pick<Env, "DB">, tenantId: string, productId: string) {
  const row = await getProductRow(env.DB, tenantId, productId);
  if (!row || row.status !== "published") throw ApiError.notFound("Product");
  const product = await withStock(env.DB, tenantId, row);
  return publicView(product, await withBundleItems(env.DB, tenantId, [product], [row]));
}

/** A storefront order (createOrder) as the buyer sees it, with its checkout link while unpaid. */
export async function placeShopOrder(env: Env, p: CreateOrderParams & { storedValueCents?: number }) {
  const { storedValueCents, ...params } = p;
  // Members pay their tier's price; member-only products and paid cards are refused to others (issue 17). A new guest
  // is no member: createOrder checks that in its own first batch.
  // The order's own reads ride along (orderReadStmts): a returning buyer's order is then two round trips, not three.
  const ahead = p.newGuest ? null : await shopMemberTermsWith(env, p.tenantId, p.buyerId, p.productId, orderReadStmts(env.DB, p));
  const terms = ahead?.terms ?? null;
  // Unpaid orders hold their keys for a while: a buyer may hold one full order's worth of a product unpaid at a time,
  // so one session cannot empty the stock with orders it never pays (refused atomically with the insert).
  const capped = { ...params, maxUnpaidUnits: MAX_ORDER_QUANTITY };
  // The member price and its record (the cashier's 会员价优惠 line) go into the order's own batch.
  const priced = terms
    ? { ...capped, unitPriceCents: terms.unitPriceCents, memberDiscount: { memberId: terms.memberId, tierId: terms.tierId, percentOff: terms.percentOff, listUnitCents: terms.listUnitCents } }
    : capped;
  // Paying a part from the stored-value balance needs a member (403 not_a_member for guests). The product page offers
  // the list price from the balance; a member's price is lower, so the part is capped at it.
  const balancePart = storedValueCents && terms ? Math.min(storedValueCents, terms.unitPriceCents * (p.quantity ?? 1)) : storedValueCents;
  const res = await createOrder(env, balancePart ? { ...priced, storedValue: await checkoutPayer(env, p.tenantId, p.buyerId, balancePart) } : priced, ahead?.orderReads);
  if (res.order.buyer_id !== p.buyerId) throw ApiError.notFound("Order");
  const order = toOrder(res.order);
  return { created: res.created, order: { ...order, ...(res.paymentId && order.status === "created" ? { checkoutUrl: checkoutPath(res.paymentId) } : {}) } };
}

/**
 * The buyer cancels an unpaid order. Its charge is closed at the gateway and the gateway asked first: a payment taken
 * there whose notice never reached us (the page still said 待支付) is credited, and the cancel refused, rather than
 * cancelling an order whose money the gateway holds.
 */
export async function cancelOwnOrder(env: Env, tenantId: string, orderId: string, buyerId: string): Promise<Order> {
  const row = await getOrderRow(env.DB, tenantId, orderId);
  if (row && row.buyer_id === buyerId && row.status === "created") {
    if (await creditIfPaidAtGateway(env, "cancel_found_payment", row, null, null, true)) throw orderPaid();
  }
  const cancelled = await cancelOrder(env, tenantId, orderId, buyerId);
  // A points-mall exchange's points and stock come back now, as on a refund (the points cron is only the safety net).
  if (cancelled.source.startsWith("mall:")) await returnMallExchangeOfOrder(env, tenantId, orderId);
  return toOrder(cancelled);
}
