import { z } from "@hono/zod-openapi";

/** Wire contract between the worker and an upstream supplier (the sandbox implements it). */
export const SupplierRechargeRequest = z.object({
  orderRef: z.string().min(1).max(100),
  sku: z.string().min(1).max(64),
  account: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(100),
});
export const SupplierCardKeyRequest = z.object({
  orderRef: z.string().min(1).max(100),
  sku: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(100),
});
export const SupplierOrderStatus = z.object({
  orderRef: z.string(),
  status: z.enum(["succeeded", "failed", "unknown"]),
  supplierRef: z.string().nullable(),
});
export type SupplierOrderStatus = z.infer<typeof SupplierOrderStatus>;
export const SupplierRechargeResult = z.object({ orderRef: z.string(), supplierRef: z.string(), status: z.literal("succeeded") });
export const SupplierCardKeyResult = z.object({
  orderRef: z.string(),
  supplierRef: z.string(),
  /** Card keys from upstream: encrypted by the worker before storing, never logged. */
  keys: z.array(z.string()),
});
export const SupplierStock = z.object({ sku: z.string(), available: z.number().int(), priceCents: z.number().int() });
export const SupplierError = z.object({ error: z.enum(["out_of_stock", "unknown_sku", "bad_signature", "internal"]), message: z.string() });

export const SupplierInput = z
  .object({
    name: z.string().trim().min(1).max(60),
    baseUrl: z.url(),
    products: z.array(z.object({ productId: z.string().min(1).max(64), sku: z.string().min(1).max(64), costCents: z.number().int().min(0) })).max(200),
  })
  .openapi("SupplierInput");

export const Supplier = z
  .object({
    id: z.string(),
    name: z.string(),
    baseUrl: z.string(),
    status: z.enum(["active", "disabled"]),
    consecutiveFailures: z.number(),
    openUntil: z.string().nullable(),
  })
  .openapi("Supplier");
