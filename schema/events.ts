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
 *  - user_signed_up:       once per buyer (eventId `ev_signup_<buyerId>`; worker/services/acquisition.ts). actor.userId,
 *                          actor.deviceId (anonymous id used before sign-up, or null), actor.referrerId (sharer or null);
 *                          payload: buyerKind ("guest" | "phone"), acquisitionCampaignId, shareCode, utmSource,
 *                          utmMedium, utmCampaign, origin (embedding origin of the widget) — each string or null.
 *  - referral_signed_up:   eventId `ev_referral_<buyerId>`; actor.userId = invitee, actor.referrerId = sharer,
 *                          actor.deviceId; payload: campaignId (string | null), shareCode (string). Emitted with the
 *                          invitee's user_signed_up.
 *  - page_view / product_viewed / widget_impression: actor.userId (the signed session's buyer) or null, actor.deviceId
 *                          or null (at least one set); payload (all optional strings): campaignId, productId, path,
 *                          origin (embedding origin, widget).
 *  - share_sent:           actor.userId = sharer, actor.deviceId; payload: campaignId, shareCode (opaque, maps to the
 *                          sharer in D1 campaign_shares), channel (string | null).
 *  - campaign_task_completed: actor.userId; payload: campaignId, taskId, completedToday (a "share" task no longer emits
 *                          share_sent: the share route does).
 *  - claim_succeeded / draw_made: payload.campaignId, campaignKind, claimId, productId, prizeId, outcome, priceCents,
 *                          shard, origin, costCents = integer cents the brand pays for what was handed out (campaign or
 *                          prize costCents; default the product's face value, flash sale the discount; 0 for "no prize").
 *  - voucher_issued:       payload.voucherId, productId, kind, orderId, campaignId (if from a campaign), faceValueCents;
 *                          no costCents: a campaign voucher's cost is on its claim/draw event (count each cost once).
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
