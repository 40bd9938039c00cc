import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { EVENT_TYPES } from "./events";

/** What an endpoint can subscribe to: every event type. `alert` also carries the alert-worthy events (low_stock,
 * supplier_failed, risk_flagged, payment_callback_refused) as alerts, de-duplicated per quiet period (schema/alerts.ts). */
export const WebhookType = z.enum(EVENT_TYPES).openapi("WebhookType");
export type WebhookType = z.infer<typeof WebhookType>;

export const WebhookFilter = z
  .strictObject({
    campaignId: z.string().min(1).max(64),
    productId: z.string().min(1).max(64),
    storeId: z.string().min(1).max(64),
    supplierId: z.string().min(1).max(64),
  })
  .partial()
  .openapi("WebhookFilter", { description: "Only events whose payload field equals each given value" });
export type WebhookFilter = z.infer<typeof WebhookFilter>;

export const WEBHOOK_ENDPOINT_STATUSES = ["enabled", "disabled"] as const;

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(WebhookType),
    filter: WebhookFilter,
    status: z.enum(WEBHOOK_ENDPOINT_STATUSES),
    disabledReason: z.string().nullable(),
    rotationOverlapUntil: z.string().nullable().openapi({ description: "Until then deliveries carry a signature with the previous secret too" }),
    failingSince: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

const WebhookUrl = z.string().trim().max(2000).openapi({ description: "https (production); http://localhost allowed in development" });

export const CreateWebhookEndpointInput = z
  .strictObject({
    url: WebhookUrl,
    description: text().trim().max(200).default(""),
    eventTypes: z.array(WebhookType).min(1).max(EVENT_TYPES.length),
    filter: WebhookFilter.default({}),
  })
  .openapi("CreateWebhookEndpointInput");

export const UpdateWebhookEndpointInput = z
  .strictObject({
    url: WebhookUrl.optional(),
    description: text().trim().max(200).optional(),
    eventTypes: z.array(WebhookType).min(1).max(EVENT_TYPES.length).optional(),
    filter: WebhookFilter.optional(),
    status: z.enum(WEBHOOK_ENDPOINT_STATUSES).optional().openapi({ description: "enabled again clears the failure count" }),
  })
  .openapi("UpdateWebhookEndpointInput");

export const WebhookSecret = z.string().openapi({ description: "whsec_<base64>: shown once; only a sealed copy is stored" });

export const CreatedWebhookEndpoint = WebhookEndpoint.extend({ secret: WebhookSecret }).openapi("CreatedWebhookEndpoint");

export const RotateWebhookSecretInput = z
  .strictObject({
    overlapMinutes: z.number().int().min(0).max(7 * 24 * 60).default(24 * 60)
      .openapi({ description: "How long deliveries stay signed with the old secret too (default 24 h)" }),
  })
  .openapi("RotateWebhookSecretInput");

export const RotatedWebhookSecret = z
  .object({ endpoint: WebhookEndpoint, secret: WebhookSecret })
  .openapi("RotatedWebhookSecret");

export const WebhookDelivery = z
  .object({
    id: z.string().openapi({ description: "The webhook-id header, the same on every retry and replay" }),
    endpointId: z.string(),
    eventId: z.string(),
    type: WebhookType,
    occurredAt: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("WebhookDelivery");
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookAttempt = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    deliveryId: z.string(),
    eventId: z.string(),
    attempt: z.number().int(),
    statusCode: z.number().int().nullable().openapi({ description: "null: no answer (timeout, refused, blocked target)" }),
    responseExcerpt: z.string().openapi({ description: "First 1 KB of the answer, or the error" }),
    durationMs: z.number().int(),
    outcome: z.enum(["succeeded", "retrying", "failed"]),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("WebhookAttempt");
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

export const WebhookLogQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: "Page on: the previous page's nextCursor (rows created at the same moment are neither skipped nor repeated)" }),
  before: z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), { message: "must be a time (ISO 8601)", params: { reason: "invalid_time" } }).optional()
    .openapi({ description: "Only rows created before this time (to start at a time; page on with cursor)" }),
});

export const WebhookDeliveryQuery = WebhookLogQuery.extend({
  status: z.enum(["pending", "succeeded", "failed"]).optional().openapi({
    description: "Only deliveries in this state; `failed` are the dead letters (out of retries, or their endpoint disabled), to replay",
  }),
});

export const ReplayRangeInput = z
  .strictObject({
    from: z.iso.datetime().openapi({ description: "Events that occurred at or after this time" }),
    to: z.iso.datetime().openapi({ description: "... and before this time" }),
  })
  .refine((r) => r.from < r.to, { message: "from must be before to", path: ["to"], params: { reason: "invalid_window" } })
  .openapi("ReplayRangeInput");

export const ReplayResult = z.object({ replayed: z.number().int() }).openapi("ReplayResult");

/** The body of every delivery: the typed event. */
export const WebhookPayload = z
  .object({
    type: WebhookType,
    timestamp: z.string().openapi({ description: "When the event occurred (ISO 8601)" }),
    data: z
      .object({
        eventId: z.string(),
        userId: z.string().nullable().optional(),
        referrerId: z.string().nullable().optional(),
      })
      .catchall(z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .openapi({ description: "The event's payload fields (see the event conventions), its id and the acting buyer" }),
  })
  .openapi("WebhookPayload");
export type WebhookPayload = z.infer<typeof WebhookPayload>;
