import { z } from "zod";

/**
 * Versioned event envelope: the one shape that travels worker → Queue → warehouse.
 * Bump `v` and add a new literal when the envelope changes; the warehouse accepts every listed version.
 * Payloads never carry card keys, coupon codes or phone numbers.
 */
export const EVENT_TYPES = [
  "tenant_created",
  "api_key_created",
  "api_key_revoked",
  "page_view",
  "user_signed_up",
  "product_viewed",
  "order_created",
  "order_paid",
  "order_delivered",
  "order_failed",
  "order_refunded",
  "order_cancelled",
  "supplier_failed",
  "low_stock",
  "alert",
  "claim_succeeded",
  "claim_rejected",
  "claim_failed",
  "draw_made",
  "share_sent",
  "referral_signed_up",
  "voucher_issued",
  "voucher_redeemed",
  "voucher_redeem_failed",
  "voucher_expired",
  "voucher_voided",
  "risk_flagged",
  "keys_imported",
  "product_published",
  "payment_callback_refused",
  "otp_requested",
  "buyer_signed_in",
  "guest_attached",
  "voucher_reported",
  "voucher_compensated",
  "voucher_refunded",
  "voucher_rated",
  "campaign_task_completed",
  "widget_impression",
] as const;
/*
 * Payload conventions the warehouse metrics rely on (analytics/README.md has the full table). The warehouse lifts
 * these payload fields into columns: campaignId, productId, orderId, amountCents, costCents, acquisitionCampaignId,
 * voucherId, supplierId, storeId, origin. Money is integer cents (CNY fen). actor.userId = the buyer/visitor.
 *  - user_signed_up:       actor.userId; payload.acquisitionCampaignId when the sign-up came from a campaign/share link.
 *  - referral_signed_up:   actor.userId = invitee, actor.referrerId = inviter; payload.campaignId (emit next to
 *                          user_signed_up for the same invitee).
 *  - page_view / product_viewed: actor.userId or deviceId; payload.productId, payload.campaignId when on a campaign page.
 *  - share_sent:           actor.userId = sharer; payload.campaignId (K-factor, share rate).
 *  - claim_succeeded / draw_made: payload.campaignId, payload.costCents = cost of the prize/discount to the brand
 *                          (0 for "no prize"); draw_made also payload.prize (label, no codes).
 *  - voucher_issued:       payload.voucherId, payload.campaignId (if from a campaign), payload.costCents if the cost was
 *                          not already counted on the claim/draw event (count each cost once).
 *  - order_created / order_paid / order_refunded: payload.orderId, payload.productId (first item), payload.amountCents
 *                          (paid/refunded total), payload.campaignId when a campaign coupon/flash price applied.
 *  - order_delivered / supplier_failed: payload.orderId, payload.supplierId (supplier success rate).
 *  - voucher_redeemed / voucher_redeem_failed: payload.voucherId, payload.storeId, payload.campaignId if known,
 *                          payload.reason on failure.
 */
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

export const EventActor = z.object({
  userId: z.string().max(64).nullable().default(null),
  deviceId: z.string().max(64).nullable().default(null),
  apiKeyId: z.string().max(64).nullable().default(null),
  referrerId: z.string().max(64).nullable().default(null),
});

export const EventEnvelopeV1 = z.object({
  v: z.literal(1),
  eventId: z.string().min(8).max(64),
  tenantId: z.string().min(1).max(64),
  type: EventType,
  occurredAt: z.iso.datetime({ offset: false }),
  actor: EventActor,
  /** Attribution: campaign, product, origin page etc. Small, flat, no secrets. */
  payload: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});
export const EventEnvelope = EventEnvelopeV1;
export type EventEnvelope = z.infer<typeof EventEnvelope>;

export const IngestBatch = z.object({ events: z.array(EventEnvelope).min(1).max(5000) });
export type IngestBatch = z.infer<typeof IngestBatch>;

export const IngestResult = z.object({ received: z.number(), inserted: z.number(), duplicates: z.number() });
export type IngestResult = z.infer<typeof IngestResult>;
