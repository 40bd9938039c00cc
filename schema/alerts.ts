import { z } from "@hono/zod-openapi";

export const AlertSettings = z
  .object({
    emails: z.array(z.email().max(200)).max(10),
    phones: z.array(z.string().regex(/^1[3-9]\d{9}$/, "an 11-digit mainland mobile number")).max(10),
    quietMinutes: z.number().int().min(1).max(24 * 60)
      .openapi({ description: "The same alert (kind + subject) reaches people at most once per this many minutes" }),
  })
  .openapi("AlertSettings");
export type AlertSettings = z.infer<typeof AlertSettings>;

export const UpdateAlertSettingsInput = AlertSettings.partial().strict().openapi("UpdateAlertSettingsInput");

export const SandboxEmail = z
  .object({ id: z.string(), to: z.string(), subject: z.string(), body: z.string(), createdAt: z.string() })
  .openapi("SandboxEmail");

export const AlertNotice = z
  .object({
    kind: z.string().openapi({ example: "order_stuck", description: "low_stock, supplier_failed, order_stuck, a risk kind, …" }),
    subject: z.string().openapi({ description: "What it is about (an order, product, supplier … id); kind + subject is the de-duplication key" }),
    sourceType: z.string().nullable().openapi({ description: "The event type that raised it (alert, low_stock, supplier_failed, risk_flagged, payment_callback_refused)" }),
    lastRaisedAt: z.string().openapi({ description: "When it was last raised (held-back repeats included)" }),
    lastSentAt: z.string().openapi({ description: "When it last reached people (passed the quiet period)" }),
    heldBack: z.number().int().openapi({ description: "Repeats held back since lastSentAt" }),
    orderId: z.string().nullable(),
    productId: z.string().nullable(),
    supplierId: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .openapi({ description: "The payload of the event last sent (ids, counts, labels; never card keys or phone numbers)" }),
  })
  .openapi("AlertNotice");
export type AlertNotice = z.infer<typeof AlertNotice>;

export const AlertNoticeList = z.object({ alerts: z.array(AlertNotice) }).openapi("AlertNoticeList");
