/**
 * The console's orders (issue 21 item 4): search with keyset pages, and one order's full story — the product as sold
 * (snapshot; older orders fall back to the product now), payments and refunds, supplier delivery attempts, vouchers,
 * the ledger entries of its rights and its after-sale tickets.
 */
import { type ConsoleOrder, type OrderDetail, type OrderSearchQuery, type OrderSnapshot, type PaymentRecord } from "../../schema/after-sale";
import { Validity } from "../../schema/catalog";
import { ledgerRowsOfSubjects, orderDetailRows, refundableOf, searchOrders, type ConsoleOrderRow, type SnapshotRow } from "../db/order-console";
import { toOrder } from "../db/orders";
import { toCancelAsk } from "../db/suppliers";
import { rowValidity, type ProductRow } from "../db/products";
import { toVoucher } from "../db/vouchers";
import { BALANCE_PROVIDER, classifySearch, encodeListCursor, likePattern, paidFromBalance } from "../domain/after-sale";
import { listPosition } from "./list-cursor";
import { ApiError } from "../errors";
import { phoneHash } from "./buyers";
import { toPaymentRecord } from "./partial-refunds";
import { STOP_WAITING_AFTER_S } from "./supplier-callbacks";
import { placedAt } from "./supplier-orders";
import { ticketsForOrder } from "./tickets";

const toConsoleOrder = (r: ConsoleOrderRow): ConsoleOrder => ({
  ...toOrder(r), productName: r.product_name ?? "", buyerPhoneMasked: r.phone_masked, refundedCents: r.refunded_cents, openTicket: !!r.open_ticket,
});

export async function searchConsoleOrders(env: Env, tenantId: string, q: OrderSearchQuery): Promise<{ orders: ConsoleOrder[]; nextCursor: string | null }> {
  const after = listPosition(q.cursor);
  const term = classifySearch(q.q);
  const rows = await searchOrders(env.DB, tenantId, {
    orderId: term?.kind === "order" ? term.id : undefined,
    phoneHash: term?.kind === "phone" ? await phoneHash(env, term.phone) : undefined,
    productText: term?.kind === "product" ? likePattern(term.text) : undefined,
    status: q.status, productId: q.productId, from: q.from, to: q.to, after, limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { orders: page.map(toConsoleOrder), nextCursor: rows.length > q.limit && last ? encodeListCursor(last.created_at, last.id) : null };
}

function snapshotOf(s: SnapshotRow | undefined, p: ProductRow | undefined, productId: string): OrderSnapshot {
  if (s) {
    const validity = s.validity ? Validity.safeParse(JSON.parse(s.validity)) : null;
    return { productId: s.product_id, name: s.name, kind: s.kind, priceCents: s.price_cents, currency: s.currency, validity: validity?.success ? validity.data : null, tutorial: s.tutorial, takenAt: s.created_at, fromProduct: false };
  }
  return {
    productId, name: p?.name ?? "", kind: p?.kind ?? "", priceCents: p?.price_cents ?? 0, currency: p?.currency ?? "CNY",
    validity: p ? rowValidity(p) : null, tutorial: p?.tutorial ?? "", takenAt: null, fromProduct: true,
  };
}

/** The balance's part of an order as a payment row: spent at checkout (a charge), given back (a refund). */
const balancePayment = (m: { id: string; kind: "spent" | "returned"; delta: number; created_at: string }): PaymentRecord => ({
  id: m.id, kind: m.kind === "spent" ? "charge" : "refund", provider: BALANCE_PROVIDER, amountCents: Math.abs(m.delta), status: "succeeded",
  providerRef: null, reason: null, failureReason: null, createdAt: m.created_at, completedAt: m.created_at,
});

export async function consoleOrderDetail(env: Env, tenantId: string, orderId: string): Promise<OrderDetail> {
  const d = await orderDetailRows(env.DB, tenantId, orderId);
  if (!d.order) throw ApiError.notFound("Order");
  const [ledger, tickets, left] = await Promise.all([
    ledgerRowsOfSubjects(env.DB, tenantId, d.vouchers.map((v) => v.id)),
    ticketsForOrder(env, tenantId, orderId),
    refundableOf(env.DB, tenantId, orderId),
  ]);
  const toBalance = !left && paidFromBalance(d.order);
  return {
    order: toOrder(d.order),
    snapshot: snapshotOf(d.snapshot, d.product as ProductRow | undefined, d.order.product_id),
    buyerPhoneMasked: d.phoneMasked,
    vouchers: d.vouchers.map(toVoucher),
    payments: [...d.payments.map(toPaymentRecord), ...d.balance.map(balancePayment)].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    refundableCents: !["paid", "delivered"].includes(d.order.status) ? 0 : left ? Math.max(0, left.refundable) : toBalance ? d.order.stored_value_cents! : 0,
    refundToBalance: toBalance,
    deliveries: d.attempts.map((a) => ({ supplierId: a.supplier_id, supplierName: a.supplier_name, outcome: a.outcome, latencyMs: a.latency_ms, detail: a.detail, at: a.created_at })),
    waitingOnSuppliers: d.waiting.map((w) => ({
      supplierId: w.supplier_id, supplierName: w.supplier_name, supplierRef: w.supplier_ref, since: new Date(placedAt(w)).toISOString(),
      canStopWaiting: Date.now() - placedAt(w) >= STOP_WAITING_AFTER_S * 1000, lastCancelAsk: toCancelAsk(w),
    })),
    ledger,
    tickets,
  };
}
