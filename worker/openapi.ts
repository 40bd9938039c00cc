import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../schema/events";
import { WebhookPayload } from "../schema/webhooks";
/**
 * Two corrections to the generated OpenAPI document, which brands generate clients from:
 *  - the generator lists a field with a zod `.default()` as required, but a client may leave it out (the default is
 *    applied on parse), so such fields are made optional;
 *  - a default computed from the clock ("90 days ago") would be frozen into the document at the time it was built,
 *    so date-time defaults are dropped (each such field's description says what the default is).
 */
type JsonSchema = { properties?: Record<string, JsonSchema>; required?: string[]; default?: unknown; format?: string; [k: string]: unknown };

export function clientFacing<T>(doc: T): T {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const s = node as JsonSchema;
    if (s.properties && Array.isArray(s.required)) {
      const kept = s.required.filter((name) => s.properties![name]?.default === undefined);
      if (kept.length) s.required = kept;
      else delete s.required;
    }
    if (typeof s.default === "string" && /^\d{4}-\d\d-\d\dT/.test(s.default)) delete s.default;
    for (const v of Object.values(s)) walk(v);
  };
  walk(doc);
  return doc;
}

const WebhookHeaders = z.object({
  "webhook-id": z.string().openapi({ description: "Message id: the same on every retry and replay (deduplicate on it)" }),
  "webhook-timestamp": z.string().openapi({ description: "Unix seconds of this attempt; refuse ones far from now" }),
  "webhook-signature": z.string().openapi({
    description: 'Space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>" signatures (two during a secret rotation overlap)',
  }),
});

/**
 * The `webhooks` section of the document: one entry per subscribable type, each a POST of the typed event signed
 * per Standard Webhooks. A 2xx answer within 10 s acknowledges it; anything else is retried for up to 3 days.
 */
export function registerWebhooks(registry: OpenAPIHono["openAPIRegistry"]) {
  for (const type of EVENT_TYPES) {
    registry.registerWebhook({
      method: "post",
      path: type,
      tags: ["webhooks"],
      summary: type === "alert" ? "An alert (also low_stock, supplier_failed, risk_flagged, payment_callback_refused as alerts), at most once per quiet period" : `The ${type} event`,
      request: { headers: WebhookHeaders, body: { content: { "application/json": { schema: WebhookPayload } }, required: true } },
      responses: {
        200: { description: "Any 2xx acknowledges the delivery" },
        default: { description: "Anything else, or no answer within 10 s, is retried with back-off for up to 3 days" },
      },
    });
  }
}
