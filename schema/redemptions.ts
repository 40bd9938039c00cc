import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { ErrorBody } from "./errors";
import { BOTH_OR_NEITHER, bothOrNeither, OpeningHours, StoreLocationFields } from "./stores";
import { VoucherStatus } from "./vouchers";

const Id = z.string().min(1).max(64);

export const Store = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    address: z.string(),
    city: z.string(),
    lat: z.number().nullable().openapi({ description: "WGS-84 latitude" }),
    lng: z.number().nullable().openapi({ description: "WGS-84 longitude" }),
    hours: OpeningHours.nullable(),
    createdAt: z.string(),
  })
  .openapi("Store");
export type Store = z.infer<typeof Store>;

export const CreateStoreInput = z
  .object({ name: text().trim().min(1).max(80), address: text().trim().max(200).default(""), ...StoreLocationFields })
  .strict()
  .refine(bothOrNeither, BOTH_OR_NEITHER)
  .openapi("CreateStoreInput");
export type CreateStoreInput = z.infer<typeof CreateStoreInput>;

/** A change to a store: only the fields sent change (null clears coordinates or hours). */
export const UpdateStoreInput = z
  .object({ name: text().trim().min(1).max(80).optional(), address: text().trim().max(200).optional(), ...StoreLocationFields })
  .strict()
  .refine((s) => (s.lat === undefined) === (s.lng === undefined) && (s.lat === undefined || bothOrNeither(s)), BOTH_OR_NEITHER)
  .openapi("UpdateStoreInput");
export type UpdateStoreInput = z.infer<typeof UpdateStoreInput>;

export const RedeemerKeySettings = z
  .object({
    apiKeyId: z.string(),
    storeId: z.string().nullable().openapi({ description: "When set, the key redeems only at this store" }),
    suspendedAt: z.string().nullable(),
    suspendedReason: z.string().nullable(),
  })
  .openapi("RedeemerKeySettings");
export type RedeemerKeySettings = z.infer<typeof RedeemerKeySettings>;

export const BindRedeemerKeyInput = z.object({ storeId: Id.nullable() }).strict().openapi("BindRedeemerKeyInput");

export const ProductStoresInput = z
  .object({ storeIds: z.array(Id).max(500).openapi({ description: "Stores where the product's vouchers may be redeemed; empty = any store" }) }).strict()
  .openapi("ProductStoresInput");

/** A merchant redeems what the holder shows: the QR's public code, or the typed coupon code / card key. */
export const RedeemInput = z
  .object({
    code: z.string().trim().min(4).max(64).optional().openapi({ description: "The voucher's public code (its QR code)" }),
    secret: z.string().trim().min(4).max(200).optional().openapi({ description: "A typed coupon code or card key" }),
    storeId: Id.optional().openapi({ description: "Required unless the redeemer key is bound to a store" }),
    orderAmountCents: z.number().int().min(0).max(100_000_000).optional().openapi({ description: "The purchase the coupon is applied to (threshold check)" }),
  })
  .strict()
  .refine((r) => (r.code ? 1 : 0) + (r.secret ? 1 : 0) === 1, { message: "give exactly one of code or secret", path: ["code"] })
  .openapi("RedeemInput");
export type RedeemInput = z.infer<typeof RedeemInput>;

export const Redemption = z
  .object({
    id: z.string(),
    voucherId: z.string(),
    voucherCode: z.string(),
    title: z.string(),
    faceValueCents: z.number(),
    discountCents: z.number().nullable(),
    storeId: z.string(),
    storeName: z.string(),
    apiKeyId: z.string(),
    redeemedAt: z.string(),
  })
  .openapi("Redemption");
export type Redemption = z.infer<typeof Redemption>;

/** 撤销核销: why a store undoes a redemption made by mistake (shown in its history and kept in the ledger). */
export const ReverseRedemptionInput = z
  .object({ reason: text().trim().min(1).max(200).openapi({ description: "Why the redemption is undone, e.g. 扫错券" }) })
  .strict()
  .openapi("ReverseRedemptionInput");
export type ReverseRedemptionInput = z.infer<typeof ReverseRedemptionInput>;

/** How a redemption was undone: when, by which key, why. */
export const ReversalFacts = z
  .object({ at: z.string(), apiKeyId: z.string(), reason: z.string() })
  .openapi("ReversalFacts");

export const RedemptionReversal = z
  .object({
    redemptionId: z.string(),
    voucherId: z.string(),
    voucherCode: z.string(),
    title: z.string(),
    storeId: z.string(),
    storeName: z.string(),
    redeemedAt: z.string(),
    reversal: ReversalFacts,
    voucherStatus: z.enum(["issued", "expired"]).openapi({ description: "issued: usable again; expired: its validity ended meanwhile, so it stays unusable" }),
  })
  .openapi("RedemptionReversal");
export type RedemptionReversal = z.infer<typeof RedemptionReversal>;

export const RedemptionAttempt = z
  .object({
    id: z.string(),
    outcome: z.enum(["succeeded", "failed"]),
    reason: z.string().nullable(),
    voucherCode: z.string().nullable(),
    title: z.string().nullable(),
    storeId: z.string().nullable(),
    storeName: z.string().nullable(),
    apiKeyId: z.string(),
    at: z.string(),
    reversal: ReversalFacts.nullable().openapi({ description: "Set when this redemption was undone (撤销核销)" }),
    reversibleUntil: z.string().nullable().openapi({ description: "A live redemption: until when it may be undone" }),
  })
  .openapi("RedemptionAttempt");

export const RedemptionHistory = z.object({ attempts: z.array(RedemptionAttempt) }).openapi("RedemptionHistory");

export const RedemptionHistoryQuery = z.object({
  storeId: Id.optional(),
  outcome: z.enum(["succeeded", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Today's successful redemptions (China Standard Time day) at one store, or at every store when none is chosen. */
export const RedemptionTodayQuery = z.object({ storeId: Id.optional() });
export const RedemptionToday = z
  .object({
    /** The CST calendar day, YYYY-MM-DD, and the UTC instant it began. */
    day: z.string(),
    since: z.string(),
    storeId: z.string().nullable(),
    count: z.number().int(),
    /** Sum of the redeemed vouchers' face values, in fen. */
    faceValueCents: z.number().int(),
    /** Sum of coupon discounts granted, in fen. */
    discountCents: z.number().int(),
  })
  .openapi("RedemptionToday");
export type RedemptionToday = z.infer<typeof RedemptionToday>;

/**
 * What the counter was shown, with a refusal of a genuine voucher of the brand: so the clerk sees which voucher it is
 * and can tell the holder where and when it works (never for an unknown code: nothing is disclosed about it).
 */
export const RefusedVoucher = z
  .object({
    title: z.string(),
    faceValueCents: z.number().int(),
    validFrom: z.string(),
    validTo: z.string().nullable(),
    stores: z.array(z.string()).optional().openapi({ description: "store_not_allowed: the names of the stores it is valid at" }),
  })
  .openapi("RefusedVoucher");
export type RefusedVoucher = z.infer<typeof RefusedVoucher>;

/** A refused redemption (409/422): the error, and the voucher when the code was one of the brand's. */
export const RedeemRefusal = ErrorBody.extend({ voucher: RefusedVoucher.optional() }).openapi("RedeemRefusal");
export type RedeemRefusal = z.infer<typeof RedeemRefusal>;

/** 409 for a voucher someone already redeemed: says when and where. */
export const AlreadyRedeemed = RedeemRefusal.extend({
  redemption: z.object({ redeemedAt: z.string(), storeId: z.string(), storeName: z.string() }),
}).openapi("AlreadyRedeemed");
export type AlreadyRedeemed = z.infer<typeof AlreadyRedeemed>;

/** What a holder's "my vouchers" page polls (with If-None-Match) to see redemption in real time. */
export const VoucherStatusQuery = z.object({
  codes: z
    .string()
    .max(50 * 40)
    .transform((s) => s.split(",").map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(4).max(64)).min(1).max(50)),
});

export const VoucherStatusItem = z
  .object({
    code: z.string(),
    status: VoucherStatus,
    statusChangedAt: z.string().nullable(),
    redeemedAt: z.string().nullable(),
    storeName: z.string().nullable(),
  })
  .openapi("VoucherStatusItem");
export const VoucherStatusList = z.object({ vouchers: z.array(VoucherStatusItem) }).openapi("VoucherStatusList");

export const RISK_KINDS = ["store_spike", "holder_multi_store", "failed_code_burst", "repeat_reporter"] as const;
export const RiskEvent = z
  .object({
    id: z.string(),
    kind: z.enum(RISK_KINDS),
    subject: z.string(),
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    action: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("RiskEvent");
export type RiskEvent = z.infer<typeof RiskEvent>;
