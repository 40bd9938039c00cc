import { z } from "@hono/zod-openapi";
import { OrderCoupon } from "./coupons";
import { Acquisition } from "./acquisition";
import { Voucher } from "./vouchers";
import { ProductKind, PublicBundleItem } from "./catalog";

/** The most units one order may hold (also the most a buyer may hold unpaid per product: services/shop.ts). */
export const MAX_ORDER_QUANTITY = 10;

export const ORDER_STATUSES = ["created", "paid", "delivered", "failed", "refunded", "cancelled", "expired"] as const;
export const OrderStatus = z.enum(ORDER_STATUSES).openapi("OrderStatus");
export type OrderStatus = z.infer<typeof OrderStatus>;

export const IdempotencyKey = z.string().min(8).max(128).regex(/^[A-Za-z0-9._:-]+$/, "letters, digits and . _ : -");

export const CreateOrderInput = z
  .object({
    productId: z.string().min(1).max(64),
    quantity: z.number().int().min(1).max(MAX_ORDER_QUANTITY).default(1),
    rechargeAccount: z.string().trim().min(3).max(64).optional().openapi({ description: "Direct recharge target account" }),
    /** Guest checkout with no session yet: where the new guest came from. */
    acquisition: Acquisition.optional(),
    couponVoucherIds: z.array(z.string().min(1).max(64)).min(1).max(3).optional().openapi({ description: "Coupons you hold to take off this order (see POST …/checkout/quote); at most one per class" }),
    storedValueCents: z.number().int().min(1).max(10_000_000).optional().openapi({ description: "Pay this part from the member's stored-value balance (储值卡); the gateway charges the rest" }),
  })
  .strict()
  .openapi("CreateOrderInput");
export type CreateOrderInput = z.infer<typeof CreateOrderInput>;

export const Order = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    buyerId: z.string(),
    productId: z.string(),
    quantity: z.number(),
    unitPriceCents: z.number(),
    amountCents: z.number().openapi({ description: "What is paid (after coupons)" }),
    discountCents: z.number().openapi({ description: "What coupons took off" }),
    currency: z.string(),
    status: OrderStatus,
    source: z.string(),
    campaignId: z.string().nullable(),
    reservedUntil: z.string().nullable(),
    failureReason: z.string().nullable(),
    paidAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    refundedAt: z.string().nullable(),
    createdAt: z.string(),
    checkoutUrl: z.string().optional(),
  })
  .openapi("Order");
export type Order = z.infer<typeof Order>;

/** One order as its buyer sees it: the order (checkoutUrl while unpaid) and its vouchers (keys after payment). */
export const OrderView = z.object({
  order: Order, vouchers: z.array(Voucher), coupons: z.array(OrderCoupon).optional(),
  productKind: ProductKind.nullable().optional().openapi({ description: "What was bought (a direct recharge fails as a recharge, not a delivery); null when the product is gone" }),
  productName: z.string().nullable().optional().openapi({ description: "What was bought, by the name it was sold under; null when the product is gone" }),
  storedValue: z.object({ principalCents: z.number().int(), bonusCents: z.number().int() }).nullable().optional()
    .openapi({ description: "A stored-value top-up (source stored_value): what it put into the member's card, principal and bonus; null until credited" }),
  bundleItems: z.array(PublicBundleItem).optional().openapi({ description: "A bundle's items by name, so a failed bundle's page says which item failed and that the others were not delivered (a bundle is delivered whole or not at all)" }),
}).openapi("OrderView");

/** A line of 我的订单: the order with what was bought (name, first image), newest first. */
export const MyOrder = Order.extend({
  productName: z.string(), productImage: z.string().nullable(), productKind: ProductKind.nullable(),
  refundedCents: z.number().int().openapi({ description: "Refunded so far, whole or in parts (a refund still being processed included)" }),
}).openapi("MyOrder");
export type MyOrder = z.infer<typeof MyOrder>;

/** The body the sandbox gateway posts to /pay/callback/sandbox, signed over the raw bytes (X-Sandbox-Signature). */
export const SandboxCallback = z
  .object({
    type: z.enum(["payment.succeeded", "refund.succeeded"]),
    gatewayTxnId: z.string().min(8).max(64),
    paymentId: z.string().min(1).max(64),
    orderId: z.string().min(1).max(64),
    amountCents: z.number().int().min(0),
    currency: z.string().length(3),
    paidAt: z.iso.datetime(),
    /** The sandbox wallet account that paid (as a real gateway's buyer_id / openid); optional. */
    payerAccount: z.string().min(1).max(64).optional(),
  })
  .openapi("SandboxCallback");
export type SandboxCallback = z.infer<typeof SandboxCallback>;

/** Paying at the sandbox cashier: the wallet account the payer is signed in with (a fresh one when left out). */
export const SandboxPayInput = z
  .object({ payerAccount: z.string().trim().min(1).max(64).optional() })
  .strict()
  .openapi("SandboxPayInput");
