import { z } from "@hono/zod-openapi";
import { CouponKind } from "./catalog";

/** Coupons at checkout (issue 19): the quote a buyer sees before placing an order. */
export const CheckoutQuoteInput = z
  .object({
    productId: z.string().min(1).max(64),
    quantity: z.number().int().min(1).max(10).default(1),
    couponVoucherIds: z.array(z.string().min(1).max(64)).max(3).optional().openapi({ description: "Price this pick too (answered as `chosen`)" }),
  })
  .strict()
  .openapi("CheckoutQuoteInput");

export const COUPON_INAPPLICABLE_REASONS = ["offline", "scope", "threshold", "eligibility", "expired", "budget", "used"] as const;

const QuotedFields = {
  voucherId: z.string(),
  couponProductId: z.string(),
  title: z.string(),
  kind: CouponKind,
  validTo: z.string().nullable(),
  stackGroup: z.string(),
  exclusive: z.boolean(),
};

export const ApplicableCoupon = z.object({ ...QuotedFields, discountCents: z.number().openapi({ description: "What it takes off this order alone" }) }).openapi("ApplicableCoupon");
export const InapplicableCoupon = z
  .object({ ...QuotedFields, reason: z.enum(COUPON_INAPPLICABLE_REASONS), message: z.string(), rule: z.string().optional() })
  .openapi("InapplicableCoupon");

export const CouponLine = z.object({ voucherId: z.string(), couponProductId: z.string(), kind: CouponKind, discountCents: z.number() }).openapi("CouponLine");

export const CheckoutQuote = z
  .object({
    productId: z.string(),
    quantity: z.number(),
    subtotalCents: z.number(),
    applicable: z.array(ApplicableCoupon),
    inapplicable: z.array(InapplicableCoupon),
    best: z.object({ voucherIds: z.array(z.string()), lines: z.array(CouponLine), discountCents: z.number(), totalCents: z.number() }),
    chosen: z
      .object({
        voucherIds: z.array(z.string()), lines: z.array(CouponLine), discountCents: z.number(), totalCents: z.number(),
        problem: z.object({ voucherId: z.string(), reason: z.string(), message: z.string() }).optional(),
      })
      .optional()
      .openapi({ description: "The pick asked for, priced; with `problem` (and no discount) when it cannot be used" }),
    rules: z.string().openapi({ description: "The stacking rules in plain words" }),
    maxQuantity: z.number().openapi({
      description: "Units this buyer may order in one order now (0: none): the per-person limit less the units they hold in live orders, the unpaid cap, the stock, at most 10",
    }),
    limitLeft: z.number().nullable().openapi({ description: "Units left under the product's per-person limit (null: no limit)" }),
  })
  .openapi("CheckoutQuote");
export type CheckoutQuote = z.infer<typeof CheckoutQuote>;

/** A coupon that took part of an order (state: applied, returned by a refund/cancel, or spent — expired when returned). */
export const OrderCoupon = z
  .object({ voucherId: z.string(), couponProductId: z.string(), kind: z.string(), title: z.string().nullable(), discountCents: z.number(), state: z.enum(["applied", "returned", "spent"]) })
  .openapi("OrderCoupon");
export type OrderCoupon = z.infer<typeof OrderCoupon>;

/** A coupon product's budget and what was spent of it (operator view). */
export const CouponBudgetStatus = z
  .object({
    maxCount: z.number().nullable(), maxCents: z.number().nullable(), issuedCount: z.number(), appliedCount: z.number(), appliedCents: z.number(),
    exhaustedAt: z.string().nullable(),
  })
  .openapi("CouponBudgetStatus");
