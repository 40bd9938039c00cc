import { z } from "zod";
import { fastParse } from "./fast-parse";

/**
 * Versioned event envelope: the one shape that travels worker → outbox → Queue → warehouse.
 * Bump `v` and add a new literal when the envelope changes; the warehouse accepts every listed version.
 * Each type has its own payload schema (strict: an unknown field is refused). Payloads carry ids, integer cents
 * (CNY fen), counts and labels — never card keys, coupon codes or phone numbers (test/unit/event-schema.test.ts
 * checks the field names). actor.userId = the buyer/visitor.
 */
const Id = z.string().min(1).max(64);
const OptId = Id.nullable().optional();
const Cents = z.number().int();
const Label = z.string().max(200);
const Count = z.number().int().nonnegative();
/** Set by /events/import on every imported event (backfills, the simulator): never by the product itself. */
const Common = { simulated: z.boolean().optional() };
const payload = <T extends z.ZodRawShape>(shape: T) => fastParse(z.strictObject({ ...Common, ...shape }));

/** Where a visitor came from; the same fields on views, sign-ups and shares (attribution). */
const Attribution = {
  campaignId: OptId,
  productId: OptId,
  path: Label.optional(),
  origin: Label.nullable().optional(),
  utmSource: Label.nullable().optional(),
  utmMedium: Label.nullable().optional(),
  utmCampaign: Label.nullable().optional(),
  /** The opaque id of the share link a visitor arrived through (D1 campaign_shares maps it to the sharer). */
  shareLink: Label.nullable().optional(),
};

const ClaimFacts = {
  campaignId: Id,
  campaignKind: z.enum(["flash_sale", "coupon_claim", "lottery"]).optional(),
  claimId: Id.optional(),
  productId: OptId,
  prizeId: OptId,
  /** Cost of the prize/discount to the brand, counted once (0 for "no prize"). */
  costCents: Cents.optional(),
  shard: Count.optional(),
  origin: Label.nullable().optional(),
};

const OrderRef = { orderId: Id, productId: OptId, campaignId: OptId };
const VoucherRef = { voucherId: Id, productId: OptId, campaignId: OptId, kind: Label.optional() };
/** Free-form detail of alerts and risk flags: flat scalars only. */
const Detail = z.union([z.string().max(200), z.number(), z.boolean(), z.null()]);

export const EVENT_PAYLOADS = {
  tenant_created: payload({ slug: Label }),
  /** What changed (the new name; how many origins may embed its campaigns now), never the origins themselves. */
  tenant_updated: payload({ name: Label.optional(), allowedOrigins: Count.optional() }),
  api_key_created: payload({ keyId: Id, scopes: Label }),
  api_key_revoked: payload({ keyId: Id }),
  page_view: payload({ ...Attribution }),
  user_signed_up: payload({ ...Attribution, acquisitionCampaignId: OptId, buyerKind: Label.optional(), via: Label.optional() }),
  product_viewed: payload({ ...Attribution }),
  widget_impression: payload({ ...Attribution }),
  order_created: payload({ ...OrderRef, kind: Label.optional(), quantity: Count.optional(), amountCents: Cents.optional(), source: Label.nullable().optional() }),
  /**
   * Money taken at a payment gateway (cash basis): amountCents = what the gateway charged; storedValueCents = the part
   * of the order paid from the stored-value balance (its money was counted when the balance was loaded). An order
   * paid wholly from the balance, or free, has no order_paid.
   */
  order_paid: payload({ ...OrderRef, amountCents: Cents.optional(), storedValueCents: Cents.optional(), provider: Label.optional() }),
  order_delivered: payload({ ...OrderRef, vouchers: Count.optional(), source: Label.nullable().optional(), supplierId: OptId }),
  order_failed: payload({ ...OrderRef, reason: Label }),
  /**
   * amountCents = the money given back at the gateway for the order, every refund of it (0 for an order paid wholly
   * from the balance; for a stored-value load, the principal paid back); storedValueCents = the order's balance part,
   * returned to the wallet, not through the gateway. inParts: the last of a refund made in parts (each part was
   * order_partially_refunded): amountCents is then the parts' sum, already counted by them.
   */
  /** costCents: a flash-sale win refunded whole hands back the cost its claim_succeeded counted (ROI). */
  order_refunded: payload({ ...OrderRef, amountCents: Cents.optional(), storedValueCents: Cents.optional(), reason: Label.optional(), automatic: z.boolean().optional(), inParts: z.boolean().optional(), costCents: Cents.optional() }),
  /** costCents: a flash-sale win that lapsed unpaid hands back the cost its claim_succeeded counted (ROI). */
  order_cancelled: payload({ ...OrderRef, reason: Label.optional(), costCents: Cents.optional() }),
  supplier_failed: payload({ orderId: Id, supplierId: Id, outcome: Label.optional(), latencyMs: z.number().nonnegative().optional(), circuitOpen: z.boolean().optional() }),
  low_stock: payload({ productId: Id, available: Count, threshold: Count }),
  alert: z.object({ ...Common, kind: Label, orderId: OptId }).catchall(Detail),
  claim_succeeded: payload({ ...ClaimFacts, outcome: Label.optional(), priceCents: Cents.nullable().optional() }),
  claim_rejected: payload({ campaignId: Id, campaignKind: ClaimFacts.campaignKind, reason: Label, shard: Count.optional(), count: Count.optional() }),
  claim_failed: payload({ ...ClaimFacts, reason: Label, message: Label.optional(), stockReturned: z.boolean().optional() }),
  draw_made: payload({ ...ClaimFacts, outcome: Label.optional(), priceCents: Cents.nullable().optional(), prize: Label.optional() }),
  /** A share link made. mechanism: what it shares (a campaign by default; group | assist | invite | product — issue 18), subjectId: that thing's id. */
  share_sent: payload({ ...Attribution, campaignId: OptId, mechanism: Label.optional(), subjectId: OptId, channel: Label.nullable().optional(), taskId: Label.optional(), completedToday: Count.optional() }),
  referral_signed_up: payload({ ...Attribution }),
  voucher_issued: payload({ ...VoucherRef, orderId: OptId, faceValueCents: Cents.nullable().optional(), costCents: Cents.optional(), replaces: OptId }),
  /** afterReversals: how many earlier redemptions of this voucher were undone (absent for its first). */
  voucher_redeemed: payload({ ...VoucherRef, storeId: OptId, faceValueCents: Cents.nullable().optional(), redemptionId: OptId, afterReversals: Count.optional() }),
  /** 撤销核销: a store undid a redemption (redemptionId) by mistake; the voucher is usable again unless it expired meanwhile (expired). */
  voucher_redemption_reversed: payload({ ...VoucherRef, storeId: OptId, faceValueCents: Cents.nullable().optional(), redemptionId: Id, reason: Label, expired: z.boolean().optional() }),
  voucher_redeem_failed: payload({ ...VoucherRef, voucherId: OptId, storeId: OptId, reason: Label }),
  voucher_expired: payload({ ...VoucherRef }),
  voucher_voided: payload({ ...VoucherRef, reason: Label.optional(), complaintId: OptId }),
  risk_flagged: z.object({ ...Common, source: Label, kind: Label, subject: Label, action: Label.nullable() }).catchall(Detail),
  keys_imported: payload({ productId: Id, batchId: OptId, inserted: Count, rejected: Count }),
  product_published: payload({ productId: Id, kind: Label.optional() }),
  /**
   * A gateway notice refused with nothing changed. paymentId: the payment it names, when the gateway's signature held
   * (absent for a notice that does not verify at the account's URL); accountId: the connected account whose notify URL
   * it reached (absent for the sandbox's). reason `wrong_account`: a notice naming this brand's payment reached another
   * account's URL (that account is not named); `unknown_payment`: one at this brand's URL naming no payment of its own.
   */
  payment_callback_refused: payload({ paymentId: Id.optional(), reason: Label, provider: Label.optional(), accountId: Id.optional() }),
  otp_requested: payload({}),
  buyer_signed_in: payload({}),
  guest_attached: payload({ guestId: Id }),
  voucher_reported: payload({ ...VoucherRef, problem: Label, policy: Label.optional(), escalation: Label.nullable().optional(), replacedBefore: Count.optional() }),
  // complaintId: the complaint or ticket resolved; refundId: a money-only refund of the order (action money_refund).
  voucher_compensated: payload({ ...VoucherRef, complaintId: OptId, refundId: OptId, action: Label, amountCents: Cents.nullable().optional(), problem: Label.optional(), replacementVoucherId: OptId }),
  /** refundId: set when the right is refunded again after a refund of it was refused (its ledger step is keyed by it). */
  voucher_refunded: payload({ ...VoucherRef, orderId: OptId, amountCents: Cents.optional(), reason: Label.optional(), complaintId: OptId, refundId: OptId }),
  voucher_rated: payload({ ...VoucherRef, stars: z.number().int().min(1).max(5) }),
  campaign_task_completed: payload({ campaignId: Id, taskId: Label, completedToday: Count.optional() }),
  /** A consent given or withdrawn (PIPL); the record itself is in D1 consents. */
  consent_changed: payload({ purpose: Label, action: z.enum(["granted", "withdrawn"]), textVersion: Label, channel: Label }),
  /** The buyer asked to erase their account; actor.userId is already the pseudonym (it may arrive after the re-key). */
  erasure_requested: payload({ requestId: Id }),
  /** D1, the warehouse and recorded events no longer name the person; actor.userId is the pseudonym. */
  erasure_completed: payload({ requestId: Id, requestedAt: Label, minutesTaken: Count }),
  /** A risk gate's decision (claim, sign-in, order, redemption). `weight`: how many decisions it stands for (allowed
   * claims are sampled, refusal floods folded; worker/services/risk-decisions.ts). reasons: comma-joined. */
  risk_decision: payload({
    campaignId: OptId,
    path: z.enum(["claim", "otp", "order", "redemption"]),
    decision: z.enum(["allowed", "limited", "challenged", "blocked"]),
    reasons: Label,
    score: Count.optional(),
    weight: Count.optional(),
  }),
  // The brand's membership card (issue 17). actor.userId = the member's buyer id; memberId = members.id.
  member_joined: payload({ memberId: Id, tierId: OptId, via: Label }),
  /** direction: up (at once, on growth) | down (yearly review) | grace (notice before a downgrade) | paid_card. */
  member_tier_changed: payload({ memberId: Id, fromTierId: OptId, toTierId: OptId, fromRank: Count.nullable().optional(), toRank: Count.nullable().optional(), direction: Label, reason: Label.optional() }),
  member_growth_earned: payload({ memberId: Id, growth: z.number().int(), sourceKind: Label, sourceId: Id }),
  /** One points movement of the ledger: points is signed (earned +, spent/expired/reversed −); balance after it. */
  points_earned: payload({ memberId: Id, points: z.number().int(), balance: Count.optional(), sourceKind: Label, sourceId: Id, orderId: OptId }),
  points_spent: payload({ memberId: Id, points: z.number().int(), balance: Count.optional(), sourceKind: Label, sourceId: Id, orderId: OptId }),
  points_reversed: payload({ memberId: Id, points: z.number().int(), balance: Count.optional(), sourceKind: Label, sourceId: Id, orderId: OptId }),
  points_expired: payload({ memberId: Id, points: z.number().int(), balance: Count.optional(), sourceKind: Label, sourceId: Id }),
  points_adjusted: payload({ memberId: Id, points: z.number().int(), balance: Count.optional(), sourceKind: Label, sourceId: Id, reason: Label.optional() }),
  points_expiry_reminded: payload({ memberId: Id, points: Count, expiresOn: Label, channel: Label }),
  member_checked_in: payload({ memberId: Id, day: Label, streak: Count, points: Count.optional() }),
  member_task_completed: payload({ memberId: Id, taskId: Id, completion: Label, points: Count.optional(), growth: Count.optional() }),
  mall_exchanged: payload({ ...OrderRef, memberId: Id, mallItemId: Id, points: Count, amountCents: Cents.optional() }),
  /** Paid membership card (付费会员卡): kind = purchased | renewed | lapsed. */
  paid_card_changed: payload({ memberId: Id, cardId: Id, orderId: OptId, kind: Label, tierId: OptId, validUntil: Label.optional() }),
  /** Stored-value card (储值卡) movement: kind = loaded | spent | refunded | reversed; cents signed, bonus separate. */
  stored_value_changed: payload({ memberId: Id, accountId: Id, kind: Label, amountCents: Cents, bonusCents: Cents.optional(), balanceCents: Cents.optional(), sourceKind: Label, sourceId: Id, orderId: OptId, storeId: OptId }),
  // Social growth (issue 18). actor.userId = the member acting; actor.referrerId = the team leader, assist requester
  // or inviter where there is one. Ids only: no phone numbers, payment accounts or device fingerprints.
  /** A group-buy team opened by its leader's paid order. expiresAt: ISO time the team fails if not full. */
  group_team_opened: payload({ groupBuyId: Id, teamId: Id, productId: OptId, orderId: OptId, size: Count, expiresAt: Label }),
  /** A member's paid seat in a team (the leader's included); members = paid seats after it. */
  group_team_joined: payload({ groupBuyId: Id, teamId: Id, productId: OptId, orderId: OptId, members: Count, size: Count }),
  /** The team reached its size: every member's order is fulfilled. autoCompleted: the operator's disclosed auto-fill.
   * costCents: the brand's group discount for the whole team, (list − group price) × members (the growth view's reward cost). */
  group_team_completed: payload({ groupBuyId: Id, teamId: Id, productId: OptId, members: Count, amountCents: Cents.optional(), autoCompleted: z.boolean().optional(), minutesToFill: Count.optional(), costCents: Cents.optional() }),
  /** The team's time ran out (reason: expired) or the operator closed it: every paid member refunded, nothing delivered. */
  group_team_failed: payload({ groupBuyId: Id, teamId: Id, productId: OptId, members: Count, refunded: Count, reason: Label }),
  /** A paid seat refused because the team was already full (refunded at once). */
  group_seat_refused: payload({ groupBuyId: Id, teamId: Id, productId: OptId, orderId: OptId, reason: Label }),
  /** Friend assist (助力): a member asks for helps toward a goal within a time. */
  assist_started: payload({ assistId: Id, requestId: Id, goal: Count, expiresAt: Label.optional() }),
  /** One friend's help (actor.userId the helper, actor.referrerId the requester); helps = count after it. */
  assist_helped: payload({ assistId: Id, requestId: Id, helps: Count, goal: Count }),
  /** The goal reached: the reward issued once. costCents: the reward's cost to the brand. */
  assist_goal_reached: payload({ assistId: Id, requestId: Id, helps: Count, productId: OptId, orderId: OptId, costCents: Cents.optional(), minutesTaken: Count.optional() }),
  /** Invite-both-get (邀请有礼): an invitee joined through an inviter's link (actor.userId invitee, referrerId inviter). */
  invite_accepted: payload({ programmeId: Id, inviteId: Id }),
  /** An invite refused (self_invite_phone | self_invite_device | self_invite_payment | already_member | ...). */
  invite_refused: payload({ programmeId: Id, reason: Label }),
  /** One side's reward after the invitee's first paid order, once per side. */
  invite_rewarded: payload({ programmeId: Id, inviteId: Id, role: z.enum(["inviter", "invitee"]), orderId: OptId, productId: OptId, firstOrderId: OptId, costCents: Cents.optional() }),
  /** A reward taken back because the first order was refunded. */
  invite_reward_reversed: payload({ programmeId: Id, inviteId: Id, role: z.enum(["inviter", "invitee"]), orderId: OptId, firstOrderId: OptId, reason: Label.optional() }),
  // Targeting (issue 19, 千人千券). actor.userId = the buyer. Ids, cents and labels only: never phones or coupon codes.
  /** A held coupon (a coupon voucher) took discountCents off a shop order; couponKind = threshold | percent | fixed_price | first_order | new_member. */
  coupon_applied: payload({ ...OrderRef, voucherId: Id, couponProductId: Id, couponKind: Label, discountCents: Cents }),
  /** An applied coupon given back to its holder by the order's refund or cancellation (only while still valid). */
  coupon_returned: payload({ ...OrderRef, voucherId: Id, couponProductId: Id, discountCents: Cents, reason: Label.optional() }),
  /** A coupon's budget ran out (dimension: count | cents): no more issuing or applying. */
  coupon_budget_exhausted: payload({ couponProductId: Id, dimension: Label }),
  /** A claim, issue or use refused by an eligibility rule (rule: segment | new_user | first_order | tier | birthday_month | city). */
  eligibility_refused: payload({ subjectKind: Label, subjectId: Id, rule: Label }),
  /** A segment's members computed (source: rules | upload) and synced to the edge. */
  segment_computed: payload({ segmentId: Id, size: Count, source: Label, runId: Id }),
  /** One person of a targeted issuance: issued (orderId) or kept out as holdout (control group, nothing issued). */
  targeted_issued: payload({ issuanceId: Id, segmentId: OptId, memberId: OptId, couponProductId: Id, orderId: OptId, holdout: z.boolean() }),
  /** A message to a person (flow: targeted | expiry_reminder | revive | win_back | birthday; channel: sms | webhook). */
  message_sent: payload({ flow: Label, trigger: Label, channel: Label, memberId: OptId, voucherId: OptId, couponProductId: OptId, orderId: OptId, issuanceId: OptId }),
  /** A message not sent (reason: frequency_cap | quiet_hours | no_consent | unsubscribed | no_channel | coupon_unavailable). */
  message_suppressed: payload({ flow: Label, trigger: Label, reason: Label, memberId: OptId }),
  /** Recommendations shown on a page (surface: product | member); productId = the page's product on product pages. */
  recommendation_shown: payload({ surface: Label, productId: OptId, items: Count }),
  /** A recommended product opened from a recommendation list (position from 0). */
  recommendation_clicked: payload({ surface: Label, productId: Id, fromProductId: OptId, position: Count }),
  // Issue 21 (core): a refund the gateway finished (or refused) after it was asked: its id, charge, order and amount.
  refund_settled: payload({ refundId: Id, paymentId: Id, orderId: Id, amountCents: Cents, state: Label, provider: Label, reason: Label.optional() }),
  // settle21 — settlement for multi-brand sellers (issue 21 item 5). Recorded on the seller's tenant and, for an
  // issuer that is a tenant, on the issuer's too. issuer = 'tenant:<id>' | 'external:<id>'; cents only, no secrets.
  /** A seller proposed a revenue share for one product (shareKind bps | per_unit). */
  settlement_agreement_proposed: payload({ agreementId: Id, productId: Id, issuer: Label, shareKind: Label, shareBps: Count.nullable(), unitCostCents: Cents.nullable(), periodKind: Label }),
  /** The issuer accepted or rejected it (from then on accepted agreements settle). */
  settlement_agreement_decided: payload({ agreementId: Id, productId: Id, issuer: Label, decision: z.enum(["accepted", "rejected"]) }),
  /** A period closed: its signed statement's ledger range and totals. */
  settlement_statement_closed: payload({ statementId: Id, issuer: Label, periodKind: Label, periodStart: Label, toSeq: Count, netCents: Cents, issuerShareCents: Cents, sellerCents: Cents }),
  // aftersale21 (issue 21 item 4): console refunds of part of an order, after-sale tickets (售后工单).
  /** A refund of part of what was charged, given back at the gateway (units: rights taken back with it; 0 = money only). */
  order_partially_refunded: payload({ ...OrderRef, refundId: Id, amountCents: Cents, units: Count, reason: Label.optional() }),
  /**
   * A refund recorded as made (order_partially_refunded / order_refunded, or a complaint's) that the gateway then
   * refused: it answers them, so refunds and LTV count it no more. amountCents: the money that did not go back;
   * restoredUnits: rights usable again; expiredUnits: rights given back whose validity ended meanwhile; reopened: the
   * order the refund had closed is back to its status (its order_refunded, if any, no longer holds); inParts: the
   * refund was recorded as order_partially_refunded (else it was the order_refunded of a refund in one go); reason:
   * the gateway's.
   */
  /** costCents: a flash-sale win whose whole refund the gateway refused takes back the cost its order_refunded handed back (ROI). */
  order_refund_failed: payload({ ...OrderRef, refundId: Id, amountCents: Cents, restoredUnits: Count, expiredUnits: Count, reopened: z.boolean(), inParts: z.boolean(), reason: Label.optional(), costCents: Cents.optional() }),
  ticket_opened: payload({ ticketId: Id, orderId: Id, productId: OptId, reason: Label }),
  ticket_replied: payload({ ticketId: Id, orderId: Id, author: Label }),
  /** resolution: replace | refund | compensate | reject; ref = the replacement / coupon voucher or the refund id. */
  // amountCents: gateway money refunded; balanceCents: what went back to the member's stored-value balance instead.
  ticket_resolved: payload({ ticketId: Id, orderId: Id, productId: OptId, resolution: Label, ref: OptId, amountCents: Cents.nullable().optional(), balanceCents: Cents.optional() }),
  // suppliers21 (issue 21 item 3): suppliers for real.
  /** Margin protection: a supplier's live cost is above the product's sale price (source: sync | routing); it is not used unless the product allows selling below cost. */
  supplier_below_cost: payload({ supplierId: Id, productId: Id, costCents: Cents, priceCents: Cents, source: Label, orderId: OptId }),
  /** An asynchronous supplier order settled (via: callback | poll); latencyMs from acceptance to outcome. */
  supplier_order_settled: payload({ orderId: Id, supplierId: Id, productId: Id, status: Label, via: Label, latencyMs: z.number().nonnegative() }),
  // recon21 — daily reconciliation (issue 21 item 2). source = payment:<provider> | supplier:<id>; day in China time.
  /** A reconciliation run of (source, day) finished (status done | failed); counts and net cents of each side. */
  recon_run_completed: payload({
    runId: Id, source: Label, day: Label, trigger: Label, status: Label, matched: Count, mismatches: Count,
    ourCents: Cents, theirCents: Cents, feeCents: Cents, differenceCents: Cents,
  }),
  /** A difference found by a run (kind: missing_ours | missing_theirs | amount_mismatch | duplicate_ours | duplicate_theirs). */
  recon_item_opened: payload({ runId: Id, itemId: Id, source: Label, day: Label, kind: Label, side: Label, ourCents: Cents.nullable(), theirCents: Cents.nullable() }),
  /** An operator resolved a difference with a note (the note stays in D1, not in the event). */
  recon_item_resolved: payload({ runId: Id, itemId: Id, source: Label, day: Label, kind: Label }),
} as const;

export type EventType = keyof typeof EVENT_PAYLOADS;
export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as [EventType, ...EventType[]];
export const EventType = z.enum(EVENT_TYPES);
export type EventPayload<T extends EventType = EventType> = z.input<(typeof EVENT_PAYLOADS)[T]>;

/**
 * Payload fields the warehouse lifts into columns of `events` (so dashboards filter and sum without parsing JSON):
 * the one list analytics/ingest.ts builds its column list and rows from. A test checks each against the payload
 * schemas (declared by some type, with the right kind) and against the ClickHouse DDL in schema/clickhouse/.
 */
export const PAYLOAD_COLUMNS = {
  campaignId: { column: "campaign_id", kind: "string" },
  productId: { column: "product_id", kind: "string" },
  orderId: { column: "order_id", kind: "string" },
  amountCents: { column: "amount_cents", kind: "cents" },
  costCents: { column: "cost_cents", kind: "cents" },
  acquisitionCampaignId: { column: "acquisition_campaign_id", kind: "string" },
  voucherId: { column: "voucher_id", kind: "string" },
  supplierId: { column: "supplier_id", kind: "string" },
  storeId: { column: "store_id", kind: "string" },
  origin: { column: "origin", kind: "string" },
} as const satisfies Record<string, { column: string; kind: "string" | "cents" }>;

export const EventActor = z.object({
  userId: z.string().max(64).nullable().default(null),
  deviceId: z.string().max(64).nullable().default(null),
  apiKeyId: z.string().max(64).nullable().default(null),
  referrerId: z.string().max(64).nullable().default(null),
});

const envelopeBase = {
  v: z.literal(1),
  eventId: z.string().min(8).max(64),
  tenantId: z.string().min(1).max(64),
  occurredAt: z.iso.datetime({ offset: false }),
  actor: EventActor,
};

const variants = EVENT_TYPES.map((t) =>
  z.object({ ...envelopeBase, type: z.literal(t), payload: (EVENT_PAYLOADS[t] as z.ZodType<Record<string, Scalar>>).default({}) }),
);

/** Flat payload values as they travel (the per-type schema says which keys and kinds). */
export type Scalar = string | number | boolean | null;
export type EventEnvelope = {
  v: 1;
  eventId: string;
  tenantId: string;
  type: EventType;
  occurredAt: string;
  actor: z.output<typeof EventActor>;
  payload: Record<string, Scalar>;
};
/** The envelope checked against its type's payload schema (a discriminated union on `type`). */
export const EventEnvelopeV1 = z.discriminatedUnion("type", variants as unknown as [(typeof variants)[number], ...(typeof variants)[number][]]) as unknown as z.ZodType<
  EventEnvelope,
  unknown
>;
export const EventEnvelope = EventEnvelopeV1;

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const id64 = (x: unknown, min: number) => typeof x === "string" && x.length >= min && x.length <= 64;
const actorId = (x: unknown) => x === null || id64(x, 0);

/**
 * The envelope's frame: version, ids, a known type, a time, the actor's ids, a payload object — not the payload's
 * per-type schema. For the events Queue, whose producers build envelopes from checked inputs (typed code, the import
 * route's zod check) and whose consumer hands every payload to the warehouse, which checks it on ingest (refusals are
 * dead-lettered by path). The consumer checks the frame, and the full schema only for events it acts on itself
 * (webhooks, alerts, delivery notices): in workerd zod cannot compile its parsers (no eval), and the full check of every
 * streamed event was 30% of the worker's CPU (bench:analytics stream profile, bench/README.md session 32).
 */
export function hasEnvelopeFrame(x: unknown): x is EventEnvelope {
  if (typeof x !== "object" || x === null) return false;
  const e = x as Record<string, unknown>;
  const a = e.actor as Record<string, unknown> | null;
  const p = e.payload;
  return e.v === 1 && id64(e.eventId, 8) && id64(e.tenantId, 1) && typeof e.type === "string" && KNOWN_TYPES.has(e.type)
    && typeof e.occurredAt === "string" && typeof a === "object" && a !== null
    && actorId(a.userId) && actorId(a.deviceId) && actorId(a.apiKeyId) && actorId(a.referrerId)
    && typeof p === "object" && p !== null && !Array.isArray(p);
}

/** The whole check (frame and the type's payload schema), for events about to be acted on. */
export const isValidEnvelope = (x: unknown): x is EventEnvelope => EventEnvelope.safeParse(x).success;

/**
 * An events-Queue message as every producer sends it: the id of its row in D1's event journal, which the consumer
 * deletes once the warehouse stored the envelopes, and the envelopes (worker/queue/journal.ts). The consumer still
 * takes the older forms, one envelope or an array of them, from messages queued before the journal.
 */
export type JournaledMessage = { journal: string; events: EventEnvelope[] };
/** The message's frame only (a plain check, no zod: it runs for every message); each envelope is checked after. */
export function isJournaledMessage(x: unknown): x is { journal: string; events: unknown[] } {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const m = x as Record<string, unknown>;
  return id64(m.journal, 1) && Array.isArray(m.events) && m.events.length >= 1 && m.events.length <= 1000;
}

/**
 * What the warehouse's /v1/ingest takes: envelopes checked one by one (the route validates each against the union
 * and answers per index), so the batch shape itself only needs the outer frame.
 */
export const IngestBatch = z.object({ events: z.array(z.unknown()).min(1).max(5000) });
export type IngestBatch = { events: EventEnvelope[] };

/** The field an issue is about: its path, plus the offending key for an unknown field ("payload.code"). */
export function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  return issue.code === "unrecognized_keys" && issue.keys.length ? [...issue.path, issue.keys[0]!] : issue.path;
}

/** An issue as one line, "payload.amountCents: Invalid input…": how a refused envelope's field is recorded. */
export function issueText(issue: z.core.$ZodIssue): string {
  return `${issuePath(issue).map(String).join(".")}: ${issue.message}`;
}

export const IngestRejection = z.object({ index: z.number().int(), eventId: z.string().nullable(), path: z.string(), message: z.string() });
export type IngestRejection = z.infer<typeof IngestRejection>;

/**
 * Per batch: what was stored, what was a repeat, and which envelopes were refused (their index and the field
 * path). Valid envelopes of a batch are stored even when others are refused; status 400 only if none was valid.
 */
export const IngestResult = z.object({
  received: z.number(),
  inserted: z.number(),
  duplicates: z.number(),
  rejected: z.array(IngestRejection).default([]),
});
export type IngestResult = z.input<typeof IngestResult>;
