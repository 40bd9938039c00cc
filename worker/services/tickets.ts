/**
 * After-sale tickets (售后工单, issue 21 item 4). A buyer opens one on their own paid order (one open at a time), the
 * buyer and operators reply in a thread, and an operator resolves it: replace (a new key/voucher from the same
 * product's stock; the old one voided), refund (full or partial, services/partial-refunds.ts), compensate (a coupon
 * issued to the buyer) or reject with a reason. The ticket row is the lock: it leaves 'open' before anything is
 * replaced, refunded or issued, and opens again if that step fails. Each resolution records ticket_resolved and, on
 * the order's right, voucher_compensated (complaintId = the ticket) so the ledger shows it. SLA: a first reply within
 * 4 h, resolution within 48 h (domain/after-sale.ts); the cron alerts once per missed deadline.
 */
import type { z } from "zod";
import type { BuyerTickets, OpenTicketInput, ResolveTicketInput, Ticket, TicketListQuery } from "../../schema/after-sale";
import { deliverKeyStmt, releaseOrderKeysStmt, reserveCardKeys, reservedKeysOfOrder } from "../db/card-keys";
import { getOrderRow } from "../db/orders";
import { refundsOfOrder } from "../db/order-console";
import { getProductRow } from "../db/products";
import {
  closeTicketStmt, getTicket, insertMessageStmt, insertTicketStmt, listTickets, markOverdueAlertedStmt, markRespondedStmt, messageInserted, messagesOf,
  overdueTickets, reopenTicketStmt, setResolutionRefStmt, ticketExists, ticketIs, ticketsOfOrder, touchTicketStmt, type TicketMessageRow, type TicketRow,
} from "../db/tickets";
import { insertVoucherStmt, listVouchersByOrder, moveIssuedVoucherStmt, voucherIs, type VoucherRow } from "../db/vouchers";
import { listPosition } from "./list-cursor";
import { afterSaleKind, encodeListCursor, ticketDeadlines, ticketOverdue, ticketReasonsFor } from "../domain/after-sale";
import { newId } from "../domain/crypto";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import { IssueVoucherInput } from "../../schema/vouchers";
import { notifyBuyer } from "./buyer-notices";
import { consoleRefund } from "./partial-refunds";
import { buildVoucherRow, issueVoucher, voucherInserted, voucherIssuedEvent } from "./vouchers";

const OPENABLE = ["paid", "delivered", "failed", "refunded"];

export function toTicket(r: TicketRow, messages: TicketMessageRow[], now = new Date()): Ticket {
  const late = ticketOverdue(r, now);
  return {
    id: r.id, orderId: r.order_id, reason: r.reason, body: r.body, contact: r.contact, voucherId: r.voucher_id, status: r.status, resolution: r.resolution,
    resolutionNote: r.resolution_note, resolutionRef: r.resolution_ref, firstResponseDue: r.first_response_due, resolutionDue: r.resolution_due,
    firstRespondedAt: r.first_responded_at, resolvedAt: r.resolved_at, overdue: late.response || late.resolution, createdAt: r.created_at,
    messages: messages.filter((m) => m.ticket_id === r.id).map((m) => ({ id: m.id, author: m.author, body: m.body, createdAt: m.created_at })),
  };
}

async function withMessages(env: Env, tenantId: string, rows: TicketRow[]): Promise<Ticket[]> {
  const messages = await messagesOf(env.DB, tenantId, rows.map((r) => r.id));
  return rows.map((r) => toTicket(r, messages));
}

export async function ticketsForOrder(env: Env, tenantId: string, orderId: string): Promise<Ticket[]> {
  return withMessages(env, tenantId, await ticketsOfOrder(env.DB, tenantId, orderId));
}

/** The buyer's own order (404 for anyone else's: no hint that it exists). */
async function buyersOrder(env: Env, tenantId: string, buyerId: string | null, orderId: string) {
  const order = buyerId ? await getOrderRow(env.DB, tenantId, orderId) : null;
  if (!order || order.buyer_id !== buyerId) throw ApiError.notFound("Order");
  return order;
}

/** The buyer's tickets on their order, and the refunds of it (amounts and states only). */
export async function buyerTickets(env: Env, tenantId: string, buyerId: string | null, orderId: string): Promise<z.infer<typeof BuyerTickets>> {
  await buyersOrder(env, tenantId, buyerId, orderId);
  const refunds = await refundsOfOrder(env.DB, tenantId, orderId);
  return { tickets: await ticketsForOrder(env, tenantId, orderId), refunds: refunds.map((r) => ({ amountCents: r.amount_cents, status: r.status, createdAt: r.created_at })) };
}

export async function openTicket(env: Env, tenantId: string, buyerId: string | null, orderId: string, input: z.infer<typeof OpenTicketInput>, now = new Date()): Promise<Ticket> {
  const order = await buyersOrder(env, tenantId, buyerId, orderId);
  if (!OPENABLE.includes(order.status)) throw ApiError.conflict("order_not_eligible", `An order in status '${order.status}' has nothing to service yet`);
  if (input.voucherId) rightOf(await listVouchersByOrder(env.DB, tenantId, orderId), input.voucherId);
  await assertReasonFits(env, tenantId, order, input.reason);
  const id = newId("tkt");
  const due = ticketDeadlines(now);
  const [ins] = await env.DB.batch([
    insertTicketStmt(env.DB, { id, tenant_id: tenantId, order_id: orderId, buyer_id: order.buyer_id, reason: input.reason, body: input.body, contact: input.contact ?? null, voucher_id: input.voucherId ?? null, first_response_due: due.firstResponseDue, resolution_due: due.resolutionDue, created_at: now.toISOString() }),
    ...eventRows(env, [{ eventId: `evto_${id}`, tenantId, type: "ticket_opened", actor: { userId: order.buyer_id }, payload: { ticketId: id, orderId, productId: order.product_id, reason: input.reason } }], ticketExists(tenantId, id)),
  ]);
  if (!ins!.meta.changes) throw ApiError.conflict("ticket_open", "This order already has an open ticket; reply to it instead");
  await scheduleDispatch(env);
  return (await ticketsForOrder(env, tenantId, orderId)).find((t) => t.id === id)!;
}

/** The reason must be one the buyer's form offers for what was bought (a recharge is never 卡密无效). */
async function assertReasonFits(env: Env, tenantId: string, order: { product_id: string; source: string }, reason: string) {
  const kind = afterSaleKind(order.source, (await getProductRow(env.DB, tenantId, order.product_id))?.kind ?? null) ?? null;
  const fits = ticketReasonsFor(kind);
  if (fits.includes(reason as (typeof fits)[number])) return;
  throw new ApiError(422, "ticket_reason_not_applicable", `A ${kind} order's ticket names one of: ${fits.join(", ")}`, [
    { path: "json.reason", message: `not a problem of a ${kind} order`, code: "ticket_reason_not_applicable" },
  ]);
}

/** One of the order's rights, by id (422 naming the field for any other: a right of another order is not a hint). */
function rightOf(vouchers: VoucherRow[], voucherId: string) {
  const right = vouchers.find((v) => v.id === voucherId);
  if (!right) throw new ApiError(422, "voucher_not_in_order", "That right is not part of this order", [{ path: "json.voucherId", message: "not a right of this order", code: "voucher_not_in_order" }]);
  return right;
}

async function addMessage(env: Env, ticket: TicketRow, author: "buyer" | "operator", body: string, apiKeyId: string | null) {
  const t = ticket.tenant_id;
  const id = newId("tkm");
  const [ins] = await env.DB.batch([
    insertMessageStmt(env.DB, { id, tenant_id: t, ticket_id: ticket.id, author, body, api_key_id: apiKeyId }, ticketIs(t, ticket.id, "open")),
    author === "operator" ? markRespondedStmt(env.DB, t, ticket.id) : touchTicketStmt(env.DB, t, ticket.id),
    ...eventRows(env, [{ eventId: `evtr_${id}`, tenantId: t, type: "ticket_replied", actor: { userId: author === "buyer" ? ticket.buyer_id : null, apiKeyId }, payload: { ticketId: ticket.id, orderId: ticket.order_id, author } }], messageInserted(t, id)),
  ]);
  if (!ins!.meta.changes) throw ApiError.conflict("ticket_closed", "This ticket is closed");
  await scheduleDispatch(env);
  return id;
}

export async function buyerReply(env: Env, tenantId: string, buyerId: string | null, orderId: string, ticketId: string, body: string): Promise<Ticket> {
  await buyersOrder(env, tenantId, buyerId, orderId);
  const ticket = await getTicket(env.DB, tenantId, ticketId);
  if (!ticket || ticket.order_id !== orderId) throw ApiError.notFound("Ticket");
  await addMessage(env, ticket, "buyer", body, null);
  return ticketDetail(env, tenantId, ticketId);
}

export async function ticketDetail(env: Env, tenantId: string, ticketId: string): Promise<Ticket> {
  const ticket = await getTicket(env.DB, tenantId, ticketId);
  if (!ticket) throw ApiError.notFound("Ticket");
  return (await withMessages(env, tenantId, [ticket]))[0]!;
}

export async function ticketList(env: Env, tenantId: string, q: z.infer<typeof TicketListQuery>, now = new Date()) {
  const rows = await listTickets(env.DB, tenantId, { status: q.status, overdueAt: q.overdue === "1" ? now.toISOString() : undefined, after: listPosition(q.cursor), limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    tickets: page.map((r) => { const { messages: _m, ...t } = toTicket(r, [], now); return { ...t, productName: r.product_name }; }),
    nextCursor: rows.length > q.limit && last ? encodeListCursor(last.created_at, last.id) : null,
  };
}

async function productName(env: Env, tenantId: string, orderId: string) {
  const o = await getOrderRow(env.DB, tenantId, orderId);
  return o ? (await getProductRow(env.DB, tenantId, o.product_id))?.name ?? "" : "";
}

export async function operatorReply(env: Env, tenantId: string, ticketId: string, body: string, apiKeyId: string | null): Promise<Ticket> {
  const ticket = await getTicket(env.DB, tenantId, ticketId);
  if (!ticket) throw ApiError.notFound("Ticket");
  const messageId = await addMessage(env, ticket, "operator", body, apiKeyId);
  await notifyBuyer(env, { tenantId, buyerId: ticket.buyer_id, orderId: ticket.order_id, kind: "ticket_reply", key: messageId, product: await productName(env, tenantId, ticket.order_id) });
  return ticketDetail(env, tenantId, ticketId);
}

const RESOLVED_TEXT: Record<string, string> = { replace: "已为您补发新的卡密", refund: "已为您退款", compensate: "已为您发放补偿券", reject: "未予受理" };

export async function resolveTicket(env: Env, tenantId: string, ticketId: string, input: ResolveTicketInput, apiKeyId: string | null): Promise<Ticket> {
  const db = env.DB;
  const ticket = await getTicket(db, tenantId, ticketId);
  if (!ticket) throw ApiError.notFound("Ticket");
  // The right named (by the operator, else by the buyer), or the first one still unused.
  const vouchers = await listVouchersByOrder(db, tenantId, ticket.order_id);
  const chosen = input.action === "replace" && input.voucherId ? rightOf(vouchers, input.voucherId) : undefined;
  const subject = chosen ?? vouchers.find((v) => v.id === ticket.voucher_id) ?? vouchers.find((v) => v.status === "issued") ?? vouchers[0];
  const note = input.note ?? null;
  const [claimed] = await db.batch([closeTicketStmt(db, tenantId, ticketId, { status: input.action === "reject" ? "rejected" : "resolved", resolution: input.action, note, ref: null, by: apiKeyId })]);
  if (!claimed!.results.length) throw ApiError.conflict("ticket_closed", "This ticket was already resolved");
  let ref: string | null = null;
  let amountCents: number | null = null;
  let balanceCents = 0;
  try {
    if (input.action === "replace") ref = await replaceRight(env, ticket, subject);
    else if (input.action === "refund") {
      const r = await consoleRefund(env, tenantId, ticket.order_id, { amountCents: input.amountCents, units: input.units, reason: input.note }, apiKeyId);
      // Gateway money only (an order paid from the balance got it back in its wallet, not as cash).
      ref = r.refund?.id ?? null;
      amountCents = r.refund?.amountCents ?? 0;
      balanceCents = r.balanceReturnedCents;
    } else if (input.action === "compensate") {
      const coupon = await getProductRow(db, tenantId, input.couponProductId);
      if (!coupon || coupon.kind !== "coupon") throw new ApiError(422, "invalid_coupon", "Compensate with a coupon product", [{ path: "json.couponProductId", message: "not a coupon product of this brand", code: "not_a_coupon_product" }]);
      ref = (await issueVoucher(env, { tenantId, holderId: ticket.buyer_id, productId: coupon.id, sourceKey: `ticket:${ticketId}`, meta: { ticketId } })).voucher.id;
    }
  } catch (e) {
    await reopenTicketStmt(db, tenantId, ticketId).run();
    throw e;
  }
  const closed = ticketIs(tenantId, ticketId, input.action === "reject" ? "rejected" : "resolved");
  const events: EventInput[] = [{
    eventId: `evtz_${ticketId}`, tenantId, type: "ticket_resolved", actor: { apiKeyId, userId: ticket.buyer_id },
    payload: { ticketId, orderId: ticket.order_id, productId: subject?.product_id ?? null, resolution: input.action, ref, amountCents, ...(balanceCents ? { balanceCents } : {}) },
  }];
  if (subject) {
    events.push({
      eventId: `evtc_${ticketId}`, tenantId, type: "voucher_compensated", actor: { apiKeyId, userId: ticket.buyer_id },
      payload: { voucherId: subject.id, productId: subject.product_id, campaignId: subject.campaign_id, kind: subject.kind, complaintId: ticketId, action: `ticket_${input.action}`, amountCents, problem: ticket.reason, ...(input.action === "replace" && ref ? { replacementVoucherId: ref } : {}) },
    });
  }
  const messageId = newId("tkm");
  await db.batch([
    ...(ref ? [setResolutionRefStmt(db, tenantId, ticketId, ref)] : []),
    ...(note ? [insertMessageStmt(db, { id: messageId, tenant_id: tenantId, ticket_id: ticketId, author: "operator", body: note, api_key_id: apiKeyId }, closed)] : []),
    ...eventRows(env, events, closed),
  ]);
  await scheduleDispatch(env);
  await notifyBuyer(env, { tenantId, buyerId: ticket.buyer_id, orderId: ticket.order_id, kind: "ticket_resolved", key: ticketId, product: await productName(env, tenantId, ticket.order_id), detail: RESOLVED_TEXT[input.action] });
  return ticketDetail(env, tenantId, ticketId);
}

const notReplaceable = (old: VoucherRow | undefined) =>
  ApiError.conflict(
    "right_not_replaceable",
    old
      ? `Only an unused right is replaced, and ${old.id} is ${old.status} (replaced, refunded or used already); name an unused one with voucherId, or refund, compensate or reject instead`
      : "This order has no right to replace; refund, compensate or reject instead",
  );

/**
 * A new right of the same product for the buyer (a key from stock) in place of one still unused, which is voided in
 * the same step. A right already replaced (by a complaint or an earlier ticket), refunded or used is not replaced
 * again: one payment never holds more usable rights than it paid for.
 */
async function replaceRight(env: Env, ticket: TicketRow, old: VoucherRow | undefined): Promise<string> {
  const db = env.DB;
  const t = ticket.tenant_id;
  const order = (await getOrderRow(db, t, ticket.order_id))!;
  const product = await getProductRow(db, t, order.product_id);
  if (!product || (product.kind !== "card_key" && product.kind !== "coupon")) throw ApiError.conflict("not_replaceable", "Only card keys and coupons can be replaced; refund or compensate instead");
  if (!old || old.status !== "issued") throw notReplaceable(old);
  const holdId = `tkt:${ticket.id}`;
  let key = null;
  if (product.kind === "card_key") {
    await reserveCardKeys(db, t, product.id, holdId, 1, new Date(Date.now() + 5 * 60_000).toISOString());
    key = (await reservedKeysOfOrder(db, t, holdId, product.id))[0] ?? null;
    if (!key) throw ApiError.conflict("sold_out", "No key of this product is left to replace it with; refund or compensate instead");
  }
  const input = IssueVoucherInput.parse({ tenantId: t, holderId: ticket.buyer_id, productId: product.id, sourceKey: `ticket:${ticket.id}`, orderId: order.id, campaignId: order.campaign_id, meta: { ticketId: ticket.id, replaces: old.id } });
  const row = await buildVoucherRow(env, input, product, key);
  // The new right goes in only while the old one is still unused (a complaint's replacement or a refund at the same
  // moment takes it first), and the key is delivered and the old right voided only with it.
  const inserted = voucherInserted(row);
  let placed = false;
  try {
    const [ins] = await db.batch([
      insertVoucherStmt(db, row, voucherIs(t, old.id, "issued")),
      ...(key ? [deliverKeyStmt(db, t, holdId, key.id, inserted)] : []),
      moveIssuedVoucherStmt(db, t, old.id, "voided", inserted),
      ...eventRows(env, [{ eventId: `evv_${old.id}`, tenantId: t, type: "voucher_voided", actor: { userId: old.holder_id }, payload: { voucherId: old.id, productId: old.product_id, campaignId: old.campaign_id, kind: old.kind, reason: "after_sale_replace", complaintId: ticket.id } }], inserted),
      ...eventRows(env, [voucherIssuedEvent(row, { replaces: old.id })], inserted),
    ]);
    placed = (ins?.meta.changes ?? 0) > 0;
  } finally {
    if (!placed && key) await releaseOrderKeysStmt(db, t, holdId).run();
  }
  if (!placed) throw notReplaceable((await listVouchersByOrder(db, t, order.id)).find((v) => v.id === old.id) ?? old);
  return row.id;
}

/** Cron: each missed deadline of an open ticket raises one alert (ticket_overdue), across tenants. */
export async function sweepOverdueTickets(env: Env, now = new Date(), limit = 200): Promise<number> {
  const due = await overdueTickets(env.DB, now.toISOString(), limit);
  let raised = 0;
  for (const t of due) {
    const late = ticketOverdue(t, now);
    for (const which of ["response", "resolution"] as const) {
      if (!late[which] || (which === "response" ? t.response_alerted_at : t.resolution_alerted_at)) continue;
      const [marked] = await env.DB.batch([
        markOverdueAlertedStmt(env.DB, t.tenant_id, t.id, which),
        ...eventRows(env, [{ eventId: `evtl_${t.id}_${which}`, tenantId: t.tenant_id, type: "alert", payload: { kind: "ticket_overdue", orderId: t.order_id, ticketId: t.id, deadline: which, due: which === "response" ? t.first_response_due : t.resolution_due } }], { sql: "changes() = 1", args: [] }),
      ]);
      if (marked!.meta.changes) raised++;
    }
  }
  if (raised) await scheduleDispatch(env);
  return raised;
}
