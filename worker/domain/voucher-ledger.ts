/**
 * The provenance ledger's view of voucher lifecycle events: which event types append which ledger kinds (the one
 * status→ledger-kind mapping), and the draft built from the voucher's facts. Pure; the dispatcher
 * (worker/queue/dispatch.ts) feeds it the outbox rows in order. Payloads carry ids and amounts, never secrets.
 */
import type { EventEnvelope, EventType } from "../../schema/events";
import type { LedgerEntryDraft, LedgerKind } from "../../schema/ledger";
import { MONEY_REFUND_REVERSED, REFUND_REVERSED } from "./refund-reversal";

export type VoucherFacts = {
  id: string;
  code: string;
  product_id: string;
  kind: string;
  order_id: string | null;
  campaign_id: string | null;
  card_key_id: string | null;
  face_value_cents: number;
  meta: string;
  issued_at: string;
};

/** Voucher status → the ledger kind of the step that set it. */
export const LEDGER_KIND_BY_STATUS = { redeemed: "redemption", voided: "void", refunded: "refund", expired: "expiry" } as const satisfies Record<string, LedgerKind>;

/** Event type → the ledger kinds it appends (in this order); types not listed append nothing. */
export const LEDGER_KINDS_BY_EVENT: Partial<Record<EventType, readonly LedgerKind[]>> = {
  voucher_issued: ["issuance", "delivery"],
  voucher_redeemed: [LEDGER_KIND_BY_STATUS.redeemed],
  voucher_redemption_reversed: ["redemption_reversal"],
  voucher_voided: [LEDGER_KIND_BY_STATUS.voided],
  voucher_refunded: [LEDGER_KIND_BY_STATUS.refunded],
  voucher_expired: [LEDGER_KIND_BY_STATUS.expired],
  voucher_compensated: ["compensation"],
  // Coupons at checkout (issue 19): used on an order (which, how much), and given back by its refund/cancel.
  coupon_applied: [LEDGER_KIND_BY_STATUS.redeemed],
  coupon_returned: [LEDGER_KIND_BY_STATUS.refunded],
};

/** Coupon steps name the order they took part in: one coupon may be used, returned and used again. */
const COUPON_EVENTS: readonly EventType[] = ["coupon_applied", "coupon_returned"];
const COUPON_FIELDS = ["orderId", "discountCents", "couponKind"] as const;

/** Event payload fields copied into the ledger entry's payload (ids, amounts, reasons; no secrets). */
const LEDGER_FIELDS = ["storeId", "redemptionId", "reason", "complaintId", "refundId", "action", "amountCents", "problem", "replacementVoucherId", "replaces"] as const;

/** The ledger steps an event stands for: the voucher it is about and each kind with its payload. */
export function ledgerSteps(e: EventEnvelope): { voucherId: string; kind: LedgerKind; payload: Record<string, string | number | boolean | null>; dedupeSuffix?: string }[] {
  const kinds = LEDGER_KINDS_BY_EVENT[e.type];
  const voucherId = e.payload.voucherId;
  if (!kinds || typeof voucherId !== "string") return [];
  const payload: Record<string, string | number | boolean | null> = {};
  for (const f of LEDGER_FIELDS) if (e.payload[f] !== undefined && e.payload[f] !== null) payload[f] = e.payload[f]!;
  if (e.type === "voucher_compensated") {
    // One right may be compensated more than once — a complaint, then tickets, then money-only refunds (each kept on
    // the order's first right): each is its own step, keyed by the refund or the ticket that made it, so none is
    // dropped as a repeat of another (settlement counts the money of every money_refund entry). A complaint's own
    // step (one complaint per right) keeps the plain key.
    const { refundId, complaintId, action } = e.payload;
    // A refused refund's reversal sits beside that refund's own money_refund step on the same right.
    const suffix = typeof refundId === "string" ? (action === REFUND_REVERSED || action === MONEY_REFUND_REVERSED ? `${refundId}:reversed` : refundId) : typeof action === "string" && action.startsWith("ticket_") && typeof complaintId === "string" ? complaintId : undefined;
    return kinds.map((kind) => ({ voucherId, kind, payload, ...(suffix ? { dedupeSuffix: suffix } : {}) }));
  }
  // 撤销核销: each reversal is keyed by the redemption it undid, and a redemption after one by how many came before,
  // so the voucher's second redemption is not dropped as a repeat of the first (whose key stays as it always was).
  if (e.type === "voucher_redemption_reversed") return kinds.map((kind) => ({ voucherId, kind, payload, dedupeSuffix: String(e.payload.redemptionId) }));
  if (e.type === "voucher_redeemed" && typeof e.payload.afterReversals === "number" && e.payload.afterReversals > 0) {
    return kinds.map((kind) => ({ voucherId, kind, payload, dedupeSuffix: `after${e.payload.afterReversals}` }));
  }
  // A right refunded again after a refund of it was refused: a step of its own, keyed by this refund.
  if (e.type === "voucher_refunded" && typeof e.payload.refundId === "string") return kinds.map((kind) => ({ voucherId, kind, payload, dedupeSuffix: e.payload.refundId as string }));
  if (!COUPON_EVENTS.includes(e.type)) return kinds.map((kind) => ({ voucherId, kind, payload }));
  for (const f of COUPON_FIELDS) if (e.payload[f] !== undefined && e.payload[f] !== null) payload[f === "orderId" ? "usedOnOrderId" : f] = e.payload[f]!;
  return kinds.map((kind) => ({ voucherId, kind, payload, dedupeSuffix: String(e.payload.orderId) }));
}

/** Where the right came from: a supplier, the brand's card-key stock, a campaign, or generated by the platform. */
export function supplyChannel(v: VoucherFacts, batch: string | null = null): string {
  const meta = safeMeta(v.meta);
  if (typeof meta.supplierId === "string") return `supplier:${meta.supplierId}`;
  // Card keys bought upstream when own stock ran out carry their supplier as the batch.
  if (batch?.startsWith("supplier:")) return batch;
  if (v.card_key_id || typeof meta.loopKeyId === "string") return "card_key_stock";
  if (v.campaign_id) return `campaign:${v.campaign_id}`;
  return "platform";
}

function safeMeta(meta: string): Record<string, unknown> {
  try {
    return JSON.parse(meta) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function voucherDraft(
  v: VoucherFacts,
  kind: LedgerKind,
  opts: { occurredAt?: string; batch?: string | null; payload?: LedgerEntryDraft["payload"]; dedupeSuffix?: string } = {},
): LedgerEntryDraft {
  const meta = safeMeta(v.meta);
  const batch = opts.batch ?? (typeof meta.batchId === "string" ? meta.batchId : null);
  return {
    kind,
    subjectId: v.id,
    publicCode: v.code,
    batch,
    channel: supplyChannel(v, batch),
    occurredAt: opts.occurredAt ?? (kind === "issuance" ? v.issued_at : new Date().toISOString()),
    payload: {
      productId: v.product_id,
      voucherKind: v.kind,
      orderId: v.order_id,
      campaignId: v.campaign_id,
      faceValueCents: v.face_value_cents,
      ...(opts.payload ?? {}),
    },
    dedupeKey: `${kind}:${v.id}${opts.dedupeSuffix ? `:${opts.dedupeSuffix}` : ""}`,
  };
}
