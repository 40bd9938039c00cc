import { z } from "@hono/zod-openapi";
import { Instant } from "./instant";

/**
 * Data exports: one tenant's rows of one dataset, for a time range, streamed as NDJSON, CSV or Parquet. Rows come in
 * (time, id) order and each carries its `cursor`; passing the last received row's cursor resumes after it, so a cut
 * download or a backfill in pieces never repeats or skips a row. People appear by id only (no phone numbers, no
 * recharge accounts, no codes or card keys, no IP addresses).
 */
export const EXPORT_DATASETS = ["events", "orders", "payments", "vouchers", "redemptions", "members"] as const;
export const ExportDataset = z.enum(EXPORT_DATASETS);
export type ExportDataset = z.infer<typeof ExportDataset>;

export const EXPORT_FORMATS = ["ndjson", "csv", "csv-excel", "parquet"] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** Column kinds, mapped to JSON values, CSV text and Parquet types by the encoder. */
export type ExportColumnKind = "string" | "int" | "time" | "bool";
export interface ExportColumn {
  name: string;
  kind: ExportColumnKind;
  nullable?: boolean;
}

const col = (name: string, kind: ExportColumnKind = "string", nullable = false): ExportColumn => ({ name, kind, nullable });

/**
 * The columns of each dataset, in order; the last one is always the resume cursor.
 * orders.paidOrder: the order is one of the dashboard's paid orders (支付订单, `order_paid`): its money was taken at a
 * payment gateway. A free (¥0) order, or one paid wholly from the stored-value balance, goes through `paid` too (its
 * status and `paidAt` say so) but is not a paid order; counting `paidOrder` rows gives the dashboard's figure.
 * orders.storedValueCents: the part of `amountCents` paid from the stored-value balance; the gateway took the rest, so
 * the dashboard's GMV is the sum of `amountCents − storedValueCents` over the `paidOrder` rows.
 */
export const EXPORT_COLUMNS: Record<ExportDataset, ExportColumn[]> = {
  events: [
    col("eventId"), col("type"), col("occurredAt", "time"), col("userId", "string", true), col("deviceId", "string", true),
    col("referrerId", "string", true), col("campaignId", "string", true), col("productId", "string", true),
    col("orderId", "string", true), col("amountCents", "int"), col("payload"), col("cursor"),
  ],
  orders: [
    col("id"), col("createdAt", "time"), col("buyerId"), col("productId"), col("quantity", "int"), col("unitPriceCents", "int"),
    col("amountCents", "int"), col("storedValueCents", "int"), col("currency"), col("status"), col("source"), col("campaignId", "string", true),
    col("paidAt", "time", true), col("deliveredAt", "time", true), col("refundedAt", "time", true), col("refundedCents", "int"), col("updatedAt", "time"),
    col("paidOrder", "bool"), col("cursor"),
  ],
  /** Every charge and refund, one row each: a part refund is its own row (refundOf names its charge), for finance to match the gateway's bill. */
  payments: [
    col("id"), col("createdAt", "time"), col("orderId"), col("kind"), col("provider"), col("amountCents", "int"), col("currency"),
    col("status"), col("providerRef", "string", true), col("refundOf", "string", true), col("reason", "string", true),
    col("completedAt", "time", true), col("cursor"),
  ],
  vouchers: [
    col("id"), col("issuedAt", "time"), col("holderId"), col("productId"), col("kind"), col("title"), col("faceValueCents", "int"),
    col("orderId", "string", true), col("campaignId", "string", true), col("status"), col("validFrom", "time"),
    col("validTo", "time", true), col("statusChangedAt", "time", true), col("cursor"),
  ],
  redemptions: [
    col("id"), col("createdAt", "time"), col("outcome"), col("reason", "string", true), col("voucherId", "string", true),
    col("holderId", "string", true), col("storeId", "string", true), col("apiKeyId"), col("reversedAt", "time", true),
    col("reversalReason", "string", true), col("cursor"),
  ],
  members: [
    col("id"), col("createdAt", "time"), col("kind"), col("hasPhone", "bool"), col("mergedInto", "string", true), col("cursor"),
  ],
};

export type ExportValue = string | number | boolean | null;
export type ExportRow = Record<string, ExportValue>;


export const ExportQuery = z
  .object({
    from: Instant.openapi({ description: "Start (inclusive), ISO date-time, or a date (00:00 China time)", example: "2026-11-01" }),
    to: Instant.openapi({ description: "End (exclusive), ISO date-time, or a date (00:00 China time)", example: "2026-12-01" }),
    format: ExportFormat.default("ndjson").openapi({ description: "ndjson (one JSON object per line), csv (RFC 4180 with a header, ISO UTC times), csv-excel (the same for Excel/WPS: a UTF-8 byte-order mark and China wall-clock times) or parquet" }),
    cursor: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, "a cursor from a previous export row")
      .optional()
      .openapi({ description: "Resume after the row that carried this cursor" }),
    limit: z.coerce.number().int().min(1).max(10_000_000).optional().openapi({ description: "Stop after this many rows (default: the whole range)" }),
  })
  .strict()
  .refine((q) => q.from < q.to, { message: "from must be before to", path: ["to"], params: { reason: "invalid_window" } });
export type ExportQuery = z.infer<typeof ExportQuery>;

/** Where a page of rows starts: strictly after (at, id). */
export const ExportPosition = z.object({ at: z.iso.datetime(), id: z.string().min(1).max(80) });
export type ExportPosition = z.infer<typeof ExportPosition>;

/** The worker → warehouse request for one page of raw events (HMAC-signed with the query secret). */
export const WarehouseExportPage = z
  .object({
    tenantId: z.string().min(1).max(64),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    after: ExportPosition.nullable(),
    limit: z.number().int().min(1).max(10_000),
  })
  .strict();
export type WarehouseExportPage = z.infer<typeof WarehouseExportPage>;
