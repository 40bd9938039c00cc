import { z } from "@hono/zod-openapi";
import { ProductKind } from "./catalog";

export const VOUCHER_STATUSES = ["issued", "redeemed", "expired", "voided", "refunded"] as const;
export const VoucherStatus = z.enum(VOUCHER_STATUSES).openapi("VoucherStatus");
export type VoucherStatus = z.infer<typeof VoucherStatus>;

/**
 * A right held by a buyer. `code` is the public, unguessable handle (safe in URLs and events);
 * `secret` (the card key or coupon code) is only present in the holder's own view of a paid voucher.
 */
export const Voucher = z
  .object({
    id: z.string(),
    code: z.string(),
    tenantId: z.string(),
    holderId: z.string(),
    productId: z.string(),
    kind: ProductKind,
    orderId: z.string().nullable(),
    campaignId: z.string().nullable(),
    title: z.string(),
    faceValueCents: z.number(),
    status: VoucherStatus,
    validFrom: z.string(),
    validTo: z.string().nullable(),
    issuedAt: z.string(),
    meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    secret: z.string().optional(),
    tutorial: z.string().optional(),
    scope: z.string().optional().openapi({ description: "Where it can be used (适用范围), from its product; in the holder's own views" }),
  })
  .openapi("Voucher");
export type Voucher = z.infer<typeof Voucher>;

/** What other modules pass to issueVoucher (worker/services/vouchers.ts). */
export const IssueVoucherInput = z.object({
  tenantId: z.string().min(1),
  holderId: z.string().min(1).max(64),
  productId: z.string().min(1).max(64),
  /** Idempotency: 'order:<orderId>:<n>', 'claim:<claimId>', 'prize:<drawId>' … a repeat returns the first voucher. */
  sourceKey: z.string().min(3).max(200),
  orderId: z.string().max(64).nullable().default(null),
  campaignId: z.string().max(64).nullable().default(null),
  /** Card key to bind (already reserved/delivered for this holder); otherwise a coupon code is generated for coupons. */
  cardKeyId: z.string().max(64).nullable().default(null),
  meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});
export type IssueVoucherInput = z.input<typeof IssueVoucherInput>;

export const VoucherList = z.object({ vouchers: z.array(Voucher) }).openapi("VoucherList");
