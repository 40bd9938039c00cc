/** A payment row's provider for the part of an order paid from the member's stored-value balance (储值), or given back to it. */
export const BALANCE_PROVIDER = "stored_value";

/**
 * Pure rules of the console's orders and after-sale tickets: what a search term is, the list cursor, the SLA
 * deadlines and the refund plan (how much, which rights go with it). No I/O.
 */
import type { TICKET_REASONS } from "../../schema/after-sale";
import { STORED_VALUE_SOURCE } from "./stored-value";

type TicketReason = (typeof TICKET_REASONS)[number];
const ALL_REASONS: readonly TicketReason[] = ["key_invalid", "not_received", "wrong_account", "other"];
/**
 * The problems a ticket may name for each kind of product, likeliest first: a direct recharge is about the account
 * (未到账, 充错账号), never a key; a key or coupon has no account. A bundle (any kind inside) or a product that is gone
 * takes every reason. The buyer's form offers these (site/src/lib/order-words.ts) and the API refuses others.
 */
const REASONS_BY_KIND: Partial<Record<string, readonly TicketReason[]>> = {
  card_key: ["key_invalid", "not_received", "other"],
  direct_recharge: ["not_received", "wrong_account", "other"],
  coupon: ["key_invalid", "not_received", "other"],
  // A stored-value top-up (an order with source stored_value, whatever its hidden product): money into the card.
  stored_value: ["not_received", "other"],
};
export const ticketReasonsFor = (kind: string | null | undefined): readonly TicketReason[] => REASONS_BY_KIND[kind ?? ""] ?? ALL_REASONS;

/** What an order's after-sale words and reasons go by: a top-up is a stored-value order, not its hidden product's kind. */
export const afterSaleKind = (source: string | null | undefined, productKind: string | null | undefined) => (source === STORED_VALUE_SOURCE ? "stored_value" : productKind);

/** SLA of a ticket: first operator reply within 4 hours, resolved within 48 hours of opening. */
export const TICKET_SLA = { firstResponseMs: 4 * 3_600_000, resolutionMs: 48 * 3_600_000 } as const;

export function ticketDeadlines(openedAt: Date): { firstResponseDue: string; resolutionDue: string } {
  return {
    firstResponseDue: new Date(openedAt.getTime() + TICKET_SLA.firstResponseMs).toISOString(),
    resolutionDue: new Date(openedAt.getTime() + TICKET_SLA.resolutionMs).toISOString(),
  };
}

/** Which deadlines an open ticket has missed at `now`. */
export function ticketOverdue(
  t: { status: string; first_response_due: string; resolution_due: string; first_responded_at: string | null },
  now: Date,
): { response: boolean; resolution: boolean } {
  if (t.status !== "open") return { response: false, resolution: false };
  const iso = now.toISOString();
  return { response: !t.first_responded_at && t.first_response_due < iso, resolution: t.resolution_due < iso };
}

/**
 * What the console's search box means. Order ids look like `ord_…`; a mainland mobile number (optionally +86) is
 * looked up through its keyed hash — phones are never stored in clear, so only a whole number can match; anything
 * else is a piece of the product name.
 */
export type SearchTerm = { kind: "order"; id: string } | { kind: "phone"; phone: string } | { kind: "product"; text: string } | null;

export function classifySearch(q: string | undefined): SearchTerm {
  const s = (q ?? "").trim();
  if (!s) return null;
  if (/^ord_[A-Za-z0-9_-]+$/.test(s)) return { kind: "order", id: s };
  const digits = s.replace(/[\s-]/g, "").replace(/^\+?86/, "");
  if (/^1\d{10}$/.test(digits)) return { kind: "phone", phone: digits };
  return { kind: "product", text: s };
}

/** Keyset cursor over (created_at DESC, id DESC): the last row of a page. */
export function encodeListCursor(createdAt: string, id: string): string {
  return btoa(`${createdAt}|${id}`).replace(/=+$/, "");
}

export function decodeListCursor(cursor: string | undefined): { createdAt: string; id: string } | null {
  if (!cursor) return null;
  try {
    const [createdAt, id] = atob(cursor).split("|");
    if (!createdAt || !id || Number.isNaN(Date.parse(createdAt))) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

/** LIKE pattern for a piece of text, with the wildcards escaped (ESCAPE '\'). */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The refund a console request asks for, against what is left. `amountCents` left out = everything left; `units`
 * rights go back with it (all unredeemed rights when everything left is refunded). Returns a problem code otherwise.
 */
export function refundPlan(
  input: { amountCents?: number; units: number },
  left: { refundableCents: number; issuedUnits: number },
): { ok: true; amountCents: number; units: number; full: boolean } | { ok: false; code: "nothing_refundable" | "over_refund" | "units_unavailable"; message: string } {
  if (left.refundableCents <= 0) return { ok: false, code: "nothing_refundable", message: "Nothing is left to refund on this order" };
  const amount = input.amountCents ?? left.refundableCents;
  if (amount > left.refundableCents) return { ok: false, code: "over_refund", message: `At most ${left.refundableCents} cents can still be refunded` };
  const full = amount === left.refundableCents;
  // Asking for more rights than are left is a mistake to say, even when the money left is refunded whole (which
  // takes back every right left anyway).
  const units = full ? Math.max(input.units, left.issuedUnits) : input.units;
  if (units > left.issuedUnits) return { ok: false, code: "units_unavailable", message: `Only ${left.issuedUnits} unredeemed rights are left to take back` };
  return { ok: true, amountCents: amount, units, full };
}

/**
 * A paid order with no gateway charge because the stored-value balance paid all of it: its refund gives that balance
 * part back to the member's wallet, whole (the wallet returns an order's balance part once, not in parts).
 */
export const paidFromBalance = (o: { status: string; amount_cents: number; stored_value_cents?: number | null }) =>
  ["paid", "delivered"].includes(o.status) && (o.stored_value_cents ?? 0) > 0 && (o.stored_value_cents ?? 0) >= o.amount_cents;

/** Unit i's part of an amount split over n units: the cents that do not divide go to the first ones, so the parts add up. */
export const shareOf = (amount: number, n: number, i: number) => Math.floor(amount / n) + (i < amount % n ? 1 : 0);
