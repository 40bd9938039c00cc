import type { EventEnvelope } from "../../schema/events";
import type { WebhookFilter, WebhookPayload, WebhookType } from "../../schema/webhooks";

export interface EndpointRule {
  id: string;
  eventTypes: WebhookType[];
  filter: WebhookFilter;
}

/** Events that reach people as alerts (besides `alert` itself), and which payload field names their subject. */
const ALERT_SOURCES: Partial<Record<EventEnvelope["type"], string>> = {
  alert: "",
  low_stock: "productId",
  supplier_failed: "supplierId",
  risk_flagged: "subject",
  // A refused gateway notice: payments that may not be credited, or someone posting forged ones (one per gateway
  // per quiet period; each is still its own event).
  payment_callback_refused: "provider",
};
const SUBJECT_FIELDS = ["subject", "orderId", "productId", "supplierId", "endpointId", "campaignId", "voucherId", "storeId"];

export interface AlertOf {
  kind: string;
  subject: string;
}

/** The alert an event raises (kind + subject, the de-duplication key), or null when it is not alert-worthy. */
export function alertOf(event: EventEnvelope): AlertOf | null {
  const field = ALERT_SOURCES[event.type];
  if (field === undefined) return null;
  const p = event.payload;
  const kind = event.type === "alert" || event.type === "risk_flagged" ? String(p.kind ?? event.type) : event.type;
  const named = field ? p[field] : SUBJECT_FIELDS.map((f) => p[f]).find((v) => v !== undefined && v !== null);
  return { kind, subject: named === undefined || named === null ? "" : String(named) };
}

export function matches(rule: EndpointRule, type: WebhookType, event: EventEnvelope): boolean {
  if (!rule.eventTypes.includes(type)) return false;
  return Object.entries(rule.filter).every(([field, want]) => want === undefined || event.payload[field] === want);
}

/** The typed event as delivered: internals (envelope version, tenant, API key, device) left out. */
export function webhookPayload(event: EventEnvelope, type: WebhookType, alert?: AlertOf): WebhookPayload {
  const data: WebhookPayload["data"] = { eventId: event.eventId, ...event.payload };
  if (event.actor.userId) data.userId = event.actor.userId;
  if (event.actor.referrerId) data.referrerId = event.actor.referrerId;
  if (alert && type !== event.type) Object.assign(data, { kind: alert.kind, subject: alert.subject, sourceType: event.type });
  return { type, timestamp: event.occurredAt, data };
}

/** The webhook-id of one (event, type): stable, so a repeat of the same event is the same message. */
export const deliveryId = (endpointId: string, eventId: string, type: WebhookType) =>
  `msg_${endpointId}_${eventId}${type === "alert" ? "_a" : ""}`;
