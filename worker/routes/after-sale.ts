import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../../schema/errors";
import {
  BuyerTickets, ConsoleRefund, ConsoleRefundInput, OpenTicketInput, OrderDetail, OrderPage, OrderSearchQuery, ResolveTicketInput, Ticket, TicketList, TicketListQuery, TicketReplyInput,
} from "../../schema/after-sale";
import { requireKey } from "../middleware/auth";
import { requireBuyer, shopper } from "../middleware/shopper";
import { consoleOrderDetail, searchConsoleOrders } from "../services/order-console";
import { consoleRefund } from "../services/partial-refunds";
import { buyerReply, buyerTickets, openTicket, operatorReply, resolveTicket, ticketDetail, ticketList } from "../services/tickets";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const common = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] };
const OrderId = z.object({ orderId: z.string().min(1).max(64) });
const TicketId = z.object({ ticketId: z.string().min(1).max(64) });
const ShopOrder = z.object({ tenant: z.string().min(1).max(40), orderId: z.string().min(1).max(64) });
const ShopTicket = ShopOrder.extend({ ticketId: z.string().min(1).max(64) });

const list = createRoute({
  method: "get", path: "/orders", tags: ["orders"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Search orders: by order id, a buyer's whole phone number, part of the product name, status, product, date; newest first",
  request: { query: OrderSearchQuery }, responses: { 200: json(OrderPage, "A page of orders"), ...common },
});
const detail = createRoute({
  method: "get", path: "/orders/{orderId}/detail", tags: ["orders"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "An order's product snapshot, payments and refunds, delivery attempts, vouchers, ledger entries and tickets",
  request: { params: OrderId }, responses: { 200: json(OrderDetail, "Order detail"), ...common },
});
const refund = createRoute({
  method: "post", path: "/orders/{orderId}/refunds", tags: ["orders"], security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Refund all or part of an order through its payment provider, with a reason (audited)",
  description: "amountCents left out = everything still refundable. units = unredeemed rights taken back with the refund (0 = money only). Never more than charged minus earlier refunds (409 over_refund).",
  request: { params: OrderId, ...jsonBody(ConsoleRefundInput) },
  responses: { 201: json(ConsoleRefund, "Refunded"), 409: errors[409], ...common },
});
const tickets = createRoute({
  method: "get", path: "/tickets", tags: ["after-sale"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "After-sale tickets, newest first; overdue=1 keeps open ones past an SLA deadline",
  request: { query: TicketListQuery }, responses: { 200: json(TicketList, "Tickets"), ...common },
});
const ticket = createRoute({
  method: "get", path: "/tickets/{ticketId}", tags: ["after-sale"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "One ticket with its thread", request: { params: TicketId }, responses: { 200: json(Ticket, "Ticket"), ...common },
});
const reply = createRoute({
  method: "post", path: "/tickets/{ticketId}/replies", tags: ["after-sale"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Reply to the buyer (they are notified by SMS or the brand's webhook)",
  request: { params: TicketId, ...jsonBody(TicketReplyInput) }, responses: { 201: json(Ticket, "Ticket"), 409: errors[409], ...common },
});
const resolve = createRoute({
  method: "post", path: "/tickets/{ticketId}/resolve", tags: ["after-sale"], security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Resolve: replace from stock, refund (full or partial), compensate with a coupon, or reject with a reason",
  request: { params: TicketId, ...jsonBody(ResolveTicketInput) }, responses: { 200: json(Ticket, "Ticket"), 409: errors[409], ...common },
});

const shopTags = ["shop"];
const myTickets = createRoute({
  method: "get", path: "/shop/{tenant}/orders/{orderId}/tickets", tags: shopTags, middleware: [shopper],
  summary: "My after-sale tickets on one of my orders", request: { params: ShopOrder },
  responses: { 200: json(BuyerTickets, "Tickets and refunds"), ...common },
});
const open = createRoute({
  method: "post", path: "/shop/{tenant}/orders/{orderId}/tickets", tags: shopTags, middleware: [shopper],
  summary: "Open an after-sale ticket on my order (key invalid, not received, wrong account, other)",
  description: "The reason must fit what was bought: a direct recharge takes not_received, wrong_account or other; a card key or coupon takes key_invalid, not_received or other; a bundle any.",
  request: { params: ShopOrder, ...jsonBody(OpenTicketInput) },
  responses: { 201: json(Ticket, "Opened"), 409: errors[409], 422: json(ErrorBody, "ticket_reason_not_applicable (the reason does not fit the product's kind), voucher_not_in_order"), ...common },
});
const myReply = createRoute({
  method: "post", path: "/shop/{tenant}/orders/{orderId}/tickets/{ticketId}/replies", tags: shopTags, middleware: [shopper],
  summary: "Add to my ticket's thread", request: { params: ShopTicket, ...jsonBody(TicketReplyInput) },
  responses: { 201: json(Ticket, "Ticket"), 409: errors[409], ...common },
});

export const afterSaleRoutes = createRouter()
  .openapi(list, async (c) => c.json(await searchConsoleOrders(c.env, c.var.principal.tenantId, c.req.valid("query")), 200))
  .openapi(detail, async (c) => c.json(await consoleOrderDetail(c.env, c.var.principal.tenantId, c.req.valid("param").orderId), 200))
  .openapi(refund, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    const { state: _state, ...out } = await consoleRefund(c.env, tenantId, c.req.valid("param").orderId, c.req.valid("json"), apiKeyId);
    return c.json(out, 201);
  })
  .openapi(tickets, async (c) => c.json(await ticketList(c.env, c.var.principal.tenantId, c.req.valid("query")), 200))
  .openapi(ticket, async (c) => c.json(await ticketDetail(c.env, c.var.principal.tenantId, c.req.valid("param").ticketId), 200))
  .openapi(reply, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await operatorReply(c.env, tenantId, c.req.valid("param").ticketId, c.req.valid("json").body, apiKeyId), 201);
  })
  .openapi(resolve, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await resolveTicket(c.env, tenantId, c.req.valid("param").ticketId, c.req.valid("json"), apiKeyId), 200);
  })
  .openapi(myTickets, async (c) => c.json(await buyerTickets(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("param").orderId), 200))
  .openapi(open, async (c) => c.json(await openTicket(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("param").orderId, c.req.valid("json")), 201))
  .openapi(myReply, async (c) => {
    const p = c.req.valid("param");
    return c.json(await buyerReply(c.env, c.var.shopper.tenantId, requireBuyer(c), p.orderId, p.ticketId, c.req.valid("json").body), 201);
  });
