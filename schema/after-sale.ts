import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { BALANCE_PROVIDER } from "../worker/domain/after-sale";
import { Validity } from "./catalog";
import { LedgerEntry } from "./ledger";
import { Order, OrderStatus } from "./orders";
import { SupplierCancelAsk } from "./suppliers";
import { Voucher } from "./vouchers";

/** Issue 21 item 4: the console's orders (search, detail, refunds) and after-sale tickets (售后工单). */

export const OrderSearchQuery = z
  .object({
    q: z.string().trim().max(64).optional().openapi({ description: "An order id, a buyer's full phone number (11 digits), or part of the product name" }),
    status: OrderStatus.optional(),
    productId: z.string().min(1).max(64).optional(),
    from: z.iso.datetime().optional().openapi({ description: "Created at or after (ISO 8601, UTC)" }),
    to: z.iso.datetime().optional().openapi({ description: "Created before (ISO 8601, UTC)" }),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();
export type OrderSearchQuery = z.infer<typeof OrderSearchQuery>;

export const ConsoleOrder = Order.extend({
  productName: z.string(),
  buyerPhoneMasked: z.string().nullable(),
  refundedCents: z.number().int().openapi({ description: "Refunds that succeeded or are in flight" }),
  openTicket: z.boolean(),
}).openapi("ConsoleOrder");
export type ConsoleOrder = z.infer<typeof ConsoleOrder>;

export const OrderPage = z.object({ orders: z.array(ConsoleOrder), nextCursor: z.string().nullable() }).openapi("OrderPage");

/** The product as it was when the order was placed (`fromProduct`: an order older than snapshots shows the product now). */
export const OrderSnapshot = z
  .object({
    productId: z.string(),
    name: z.string(),
    kind: z.string(),
    priceCents: z.number().int(),
    currency: z.string(),
    validity: Validity.nullable(),
    tutorial: z.string(),
    takenAt: z.string().nullable(),
    fromProduct: z.boolean(),
  })
  .openapi("OrderSnapshot");
export type OrderSnapshot = z.infer<typeof OrderSnapshot>;

export const PaymentRecord = z
  .object({
    id: z.string(),
    kind: z.enum(["charge", "refund"]),
    provider: z.string().openapi({ description: `The gateway, or "${BALANCE_PROVIDER}" for the part paid from the member's balance (and its return)` }),
    amountCents: z.number().int(),
    status: z.enum(["pending", "succeeded", "failed"]),
    providerRef: z.string().nullable(),
    reason: z.string().nullable(),
    /** A refund the gateway refused (status failed): its reason, shown as 退款失败 with it. */
    failureReason: z.string().nullable().openapi({ description: "A refused refund: the gateway's reason (null otherwise)" }),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi("PaymentRecord");
export type PaymentRecord = z.infer<typeof PaymentRecord>;

export const DeliveryAttempt = z
  .object({ supplierId: z.string(), supplierName: z.string().nullable(), outcome: z.string(), latencyMs: z.number().int(), detail: z.string().nullable(), at: z.string() })
  .openapi("DeliveryAttempt");

export const SupplierWait = z
  .object({
    supplierId: z.string(), supplierName: z.string().nullable(), supplierRef: z.string().nullable(), since: z.string(),
    canStopWaiting: z.boolean().openapi({ description: "The supplier has had it long enough for the operator to stop waiting (10 minutes)" }),
    lastCancelAsk: SupplierCancelAsk.nullable().openapi({ description: "The last cancel request (撤单) asked of the supplier for this line — by an operator's 不再等待 or the poll — and its answer; null when none was" }),
  })
  .openapi("SupplierWait");

/**
 * The order after 不再等待, with what each supplier answered the cancel request (撤单) for the lines it settled:
 * cancelled (the order moved on), succeeded (that supplier had recharged it: delivered), failed (it had failed).
 */
export const StopWaitingInput = z.object({
  reason: z.string().trim().min(2).max(200),
  supplierConfirmedCancel: z.boolean().optional().openapi({
    description: "The operator attests that the supplier confirmed the cancel outside the API (phone, ticket): a line it would not or did not cancel here is then failed too (answer confirmed_offline). Audited; should the supplier recharge it after all, supplier_success_after_failure says so.",
  }),
}).strict().openapi("StopWaitingInput");
export type StopWaitingInput = z.infer<typeof StopWaitingInput>;

export const StopWaitingResult = Order.extend({
  supplierAnswers: z.array(z.object({ supplierId: z.string(), answer: z.enum(["cancelled", "succeeded", "failed", "confirmed_offline"]) })),
}).openapi("StopWaitingResult");
export type StopWaitingResult = z.infer<typeof StopWaitingResult>;

export const TICKET_REASONS = ["key_invalid", "not_received", "wrong_account", "other"] as const;
export const TicketReason = z.enum(TICKET_REASONS).openapi("TicketReason");
export const TicketStatus = z.enum(["open", "resolved", "rejected"]).openapi("TicketStatus");
export const TicketResolution = z.enum(["replace", "refund", "compensate", "reject"]).openapi("TicketResolution");

export const TicketMessage = z
  .object({ id: z.string(), author: z.enum(["buyer", "operator"]), body: z.string(), createdAt: z.string() })
  .openapi("TicketMessage");

export const Ticket = z
  .object({
    id: z.string(),
    orderId: z.string(),
    reason: TicketReason,
    body: z.string(),
    contact: z.string().nullable(),
    voucherId: z.string().nullable().openapi({ description: "The right the buyer reported (null: the order as a whole)" }),
    status: TicketStatus,
    resolution: TicketResolution.nullable(),
    resolutionNote: z.string().nullable(),
    resolutionRef: z.string().nullable(),
    firstResponseDue: z.string(),
    resolutionDue: z.string(),
    firstRespondedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    overdue: z.boolean().openapi({ description: "Open past its first-response or resolution deadline" }),
    createdAt: z.string(),
    messages: z.array(TicketMessage),
  })
  .openapi("Ticket");
export type Ticket = z.infer<typeof Ticket>;

export const TicketList = z.object({ tickets: z.array(Ticket.omit({ messages: true }).extend({ productName: z.string().nullable() })), nextCursor: z.string().nullable() }).openapi("TicketList");
export const TicketListQuery = z
  .object({ status: TicketStatus.optional(), overdue: z.enum(["1", "0"]).optional(), cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(100).default(50) })
  .strict();

export const OrderDetail = z
  .object({
    order: Order,
    snapshot: OrderSnapshot,
    buyerPhoneMasked: z.string().nullable(),
    vouchers: z.array(Voucher),
    payments: z.array(PaymentRecord),
    refundableCents: z.number().int(),
    refundToBalance: z.boolean().openapi({ description: "Paid wholly from the stored-value balance: a refund gives refundableCents back to the member's balance, whole (no gateway money moves)" }),
    deliveries: z.array(DeliveryAttempt),
    waitingOnSuppliers: z.array(SupplierWait).openapi({ description: "Recharge lines a supplier has accepted and not answered yet (refunds wait for them; POST …/stop-waiting)" }),
    ledger: z.array(LedgerEntry),
    tickets: z.array(Ticket),
  })
  .openapi("OrderDetail");
export type OrderDetail = z.infer<typeof OrderDetail>;

/**
 * A console refund. Leave amountCents out for everything still refundable. `units`: how many unredeemed rights
 * (vouchers) of the order the refund takes back — they become 'refunded' with it; 0 = money only (goodwill).
 * A refund of everything left takes back every unredeemed right. An order paid wholly from the stored-value balance
 * is refunded whole, to the balance (409 balance_refund_whole otherwise).
 */
export const ConsoleRefundInput = z
  .object({
    amountCents: z.number().int().min(1).max(100_000_000).optional(),
    units: z.number().int().min(0).max(100).default(0),
    reason: z.string().trim().min(1).max(200),
  })
  .strict()
  .openapi("ConsoleRefundInput");
export type ConsoleRefundInput = z.infer<typeof ConsoleRefundInput>;

export const ConsoleRefund = z
  .object({
    refund: PaymentRecord.nullable().openapi({ description: "The refund at the payment gateway; null when none moved money (an order paid wholly from the stored-value balance)" }),
    balanceReturnedCents: z.number().int().openapi({ description: "The order's stored-value part given back to the member's balance by this refund (the one that left nothing refundable); 0 otherwise" }),
    order: Order, refundableCents: z.number().int(), voidedVoucherIds: z.array(z.string()),
  })
  .openapi("ConsoleRefund");
export type ConsoleRefund = z.infer<typeof ConsoleRefund>;

export const OpenTicketInput = z
  .object({
    reason: TicketReason,
    body: text().trim().min(1).max(1000),
    contact: text().trim().min(3).max(64).optional().openapi({ description: "How to reach you besides the order page (phone, WeChat id)" }),
    voucherId: z.string().min(1).max(64).optional().openapi({ description: "Which of the order's rights (vouchers) the problem is with, when it has several" }),
  })
  .strict()
  .openapi("OpenTicketInput");

export const TicketReplyInput = z.object({ body: text().trim().min(1).max(1000) }).strict().openapi("TicketReplyInput");

export const ResolveTicketInput = z
  .discriminatedUnion("action", [
    z.object({
      action: z.literal("replace"), note: text().trim().max(500).optional(),
      voucherId: z.string().min(1).max(64).optional().openapi({ description: "The right to replace; left out, the one the ticket names, else the first unused one" }),
    }).strict(),
    z.object({ action: z.literal("refund"), amountCents: z.number().int().min(1).max(100_000_000).optional(), units: z.number().int().min(0).max(100).default(0), note: text().trim().min(1).max(200) }).strict(),
    z.object({ action: z.literal("compensate"), couponProductId: z.string().min(1).max(64), note: text().trim().max(500).optional() }).strict(),
    z.object({ action: z.literal("reject"), note: text().trim().min(1).max(500) }).strict(),
  ])
  .openapi("ResolveTicketInput");
export type ResolveTicketInput = z.infer<typeof ResolveTicketInput>;

/** A refund as its buyer sees it (no gateway references, no operator reason). */
export const BuyerRefund = z.object({ amountCents: z.number().int(), status: z.enum(["pending", "succeeded", "failed"]), createdAt: z.string() }).openapi("BuyerRefund");
export const BuyerTickets = z.object({ tickets: z.array(Ticket), refunds: z.array(BuyerRefund) }).openapi("BuyerTickets");
