import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { SUPPLIER_SCHEMES } from "../worker/domain/supplier-sign";

/** Wire contract between the worker and an upstream supplier (the sandbox implements it). */
export const SupplierRechargeRequest = z.object({
  orderRef: z.string().min(1).max(100),
  sku: z.string().min(1).max(64),
  account: z.string().min(1).max(64),
  // Coerced: the form-signing schemes carry every value as a string.
  quantity: z.coerce.number().int().min(1).max(100),
  /** Where an asynchronous supplier posts the outcome (signed in its scheme). */
  notifyUrl: z.string().max(500).optional(),
});
export const SupplierCardKeyRequest = z.object({
  orderRef: z.string().min(1).max(100),
  sku: z.string().min(1).max(64),
  quantity: z.coerce.number().int().min(1).max(100),
});
/**
 * What the supplier says it charged us for an order (cents, the whole line): optional — a supplier that does not say
 * is reconciled against the configured cost — and never a reason to refuse its answer (a malformed value reads as
 * not said: the recharge it reports went through all the same).
 */
const ChargedCents = z
  .unknown()
  .transform((v) => {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  })
  .optional();
export const SupplierOrderStatus = z.object({
  orderRef: z.string(),
  status: z.enum(["succeeded", "failed", "processing", "unknown"]),
  supplierRef: z.string().nullable(),
  costCents: ChargedCents,
});
export type SupplierOrderStatus = z.infer<typeof SupplierOrderStatus>;
/**
 * The supplier's answer to a cancel (撤单) request. cancelled: it will not recharge this order, ever — a queued order
 * withdrawn, or one it does not have, which it now refuses should it arrive (supplierRef null then); succeeded /
 * failed: the order already ended so; refused: it cannot cancel now (mid-recharge) — ask again later.
 */
export const SupplierCancelResult = z.object({
  orderRef: z.string(),
  status: z.enum(["cancelled", "succeeded", "failed", "refused"]),
  supplierRef: z.string().nullable(),
  reason: z.string().max(200).optional(),
  costCents: ChargedCents,
});
export type SupplierCancelResult = z.infer<typeof SupplierCancelResult>;

/**
 * The last cancel request (撤单) asked of a supplier for an order line, and what it answered — kept on the line, so the
 * console shows it after a reload and to every operator (a refused or unanswered ask changes nothing else).
 */
export const SupplierCancelAsk = z
  .object({
    supplierId: z.string(),
    at: z.string().openapi({ description: "When it was asked" }),
    by: z.string().openapi({ description: 'The API key id of the operator who asked (不再等待), or "poll" for the cron\'s ask about a lost or never-received line' }),
    byName: z.string().nullable().openapi({ description: "That key's name (null for the poll)" }),
    answer: z.enum(["cancelled", "succeeded", "failed", "refused", "unanswered"]).openapi({
      description: "cancelled (it will not recharge it), succeeded / failed (how it had already ended), refused (it is recharging it now), unanswered (no answer, an error or a timeout: a hung cancel may still take effect upstream)",
    }),
    reason: z.string().nullable().openapi({ description: "The supplier's reason (e.g. in_progress), or why there was no answer (timeout, error)" }),
  })
  .openapi("SupplierCancelAsk");
export type SupplierCancelAsk = z.infer<typeof SupplierCancelAsk>;
/** processing: accepted, the outcome comes later by callback (or a status query). */
export const SupplierRechargeResult = z.object({ orderRef: z.string(), supplierRef: z.string(), status: z.enum(["succeeded", "processing"]), costCents: ChargedCents });
export const SupplierCardKeyResult = z.object({
  orderRef: z.string(),
  supplierRef: z.string(),
  costCents: ChargedCents,
  /** Card keys from upstream: encrypted by the worker before storing, never logged. */
  keys: z.array(z.string()),
});
export const SupplierStock = z.object({ sku: z.string(), available: z.number().int(), priceCents: z.number().int() });
/** The supplier's price list: live cost and stock per SKU (synced on a schedule). */
export const SupplierCatalogue = z.object({ items: z.array(z.object({ sku: z.string(), costCents: z.coerce.number().int().min(0), stock: z.coerce.number().int() })) });
/** An asynchronous supplier's outcome for one of our orders, posted to /suppliers/callback/{supplierId}. */
export const SupplierCallback = z.object({
  orderRef: z.string().min(1).max(100),
  status: z.enum(["succeeded", "failed", "processing"]),
  supplierRef: z.string().max(100).nullable().optional(),
  reason: z.string().max(200).optional(),
  /** With succeeded: what the supplier charged for the order (cents). */
  costCents: ChargedCents,
});
export const SupplierError = z.object({ error: z.enum(["out_of_stock", "unknown_sku", "bad_signature", "internal"]), message: z.string() });

export const SupplierScheme = z.enum(SUPPLIER_SCHEMES).openapi("SupplierScheme");
export const SupplierCredentialsInput = z
  .object({
    scheme: SupplierScheme,
    appId: z.string().trim().min(1).max(64).optional(),
    /** The key the supplier issued: stored encrypted, never returned. */
    secret: z.string().min(8).max(256),
  })
  .refine((c) => c.scheme === "kaquan_v1" || !!c.appId, { message: "appId is required for this scheme", path: ["appId"], params: { reason: "required" } })
  .openapi("SupplierCredentialsInput");

export const SupplierInput = z
  .object({
    name: text().trim().min(1).max(60),
    baseUrl: z.url(),
    /** The supplier's own signing scheme and key; left out, the development sandbox default (kaquan_v1 with SUPPLIER_SANDBOX_SECRET). Left out on an update, the stored ones are kept. */
    credentials: SupplierCredentialsInput.optional(),
    products: z.array(z.object({ productId: z.string().min(1).max(64), sku: z.string().min(1).max(64), costCents: z.number().int().min(0) })).max(200),
  })
  .strict()
  .openapi("SupplierInput");

export const Supplier = z
  .object({
    id: z.string(),
    name: z.string(),
    baseUrl: z.string(),
    status: z.enum(["active", "disabled"]),
    consecutiveFailures: z.number(),
    openUntil: z.string().nullable(),
    scheme: SupplierScheme,
    appId: z.string().nullable(),
    /** Whether a key of its own is stored (the key itself is never returned). */
    hasSecret: z.boolean(),
    /** Give this to the supplier as its notify/callback URL. */
    callbackUrl: z.string().nullable(),
    syncedAt: z.string().nullable(),
  })
  .openapi("Supplier");

export const MarginPolicyInput = z.object({ allowBelowCost: z.boolean() }).strict().openapi("MarginPolicyInput");
export const MarginPolicy = z.object({ productId: z.string(), allowBelowCost: z.boolean() }).openapi("MarginPolicy");

export const SyncResult = z.object({ suppliers: z.number().int(), updated: z.number().int(), belowCost: z.number().int(), failed: z.number().int() }).openapi("SupplierSyncResult");

export const SupplierHealth = z
  .object({
    id: z.string(),
    name: z.string(),
    scheme: SupplierScheme,
    status: z.enum(["active", "disabled"]),
    circuitOpen: z.boolean(),
    /** Final outcomes in the window (an accepted asynchronous order counts when its outcome arrives). */
    attempts: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    outOfStock: z.number().int(),
    successRate: z.number().nullable(),
    p50Ms: z.number().int().nullable(),
    p95Ms: z.number().int().nullable(),
    /** Orders accepted asynchronously and still waiting for an outcome. */
    pending: z.number().int(),
    syncedAt: z.string().nullable(),
    lastFailures: z.array(z.object({ at: z.string(), orderId: z.string(), outcome: z.string(), detail: z.string().nullable() })),
    products: z.array(z.object({
      productId: z.string(), productName: z.string(), sku: z.string(), costCents: z.number().int(), liveCostCents: z.number().int().nullable(),
      liveStock: z.number().int().nullable(), priceCents: z.number().int(), allowBelowCost: z.boolean(), belowCost: z.boolean(),
    })),
  })
  .openapi("SupplierHealth");
export const SupplierHealthReport = z.object({ since: z.string(), suppliers: z.array(SupplierHealth) }).openapi("SupplierHealthReport");
