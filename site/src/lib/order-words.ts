/**
 * How the buyer's order pages word an order, by what was bought: a direct recharge (直充) is recharged, not
 * delivered, so it fails as 充值失败 and its after-sale problems are about the account (未到账, 充错账号), not a key.
 * Pure (no DOM): each text is a [zh, en] pair for `t(...)`; tested in test/unit/order-words-unit.test.ts.
 */
import type { TICKET_REASONS } from "../../../schema/after-sale";

export type Words = [string, string];
type Kind = string | null | undefined;
type TicketReason = (typeof TICKET_REASONS)[number];

const isRecharge = (kind: Kind) => kind === "direct_recharge";

export const ORDER_STATUS: Record<string, Words> = {
  created: ["待支付", "Awaiting payment"], paid: ["已支付，发放中", "Paid, delivering"], delivered: ["已发放", "Delivered"],
  failed: ["发放失败", "Failed"], refunded: ["已退款", "Refunded"], cancelled: ["已取消", "Cancelled"], expired: ["已过期", "Expired"],
};
const RECHARGE_STATUS: Record<string, Words> = {
  paid: ["已支付，充值中", "Paid, recharging"], delivered: ["已充值", "Recharged"], failed: ["充值失败", "Recharge failed"],
};

/** An order's status: a paid group-buy seat waits for its team; a direct recharge is recharging / recharged / failed. */
export function orderStatusWords(o: { status: string; source?: string | null; productKind?: Kind }): Words {
  if (o.status === "paid" && o.source?.startsWith("group:")) return ["已支付，等待成团", "Paid, waiting for the team"];
  return (isRecharge(o.productKind) ? RECHARGE_STATUS[o.status] : undefined) ?? ORDER_STATUS[o.status] ?? [o.status, o.status];
}

// Why money came back on its own: a group-buy seat says what happened to the team, not a delivery failure.
const WHY_REFUNDED: Record<string, Words> = {
  group_seat_refused: ["该团已满或已结束，你的付款已全额退回", "The team was already full or over; your payment was refunded in full"],
  group_team_expired: ["未在时限内成团，已全额退款", "The team did not fill in time; refunded in full"],
  group_team_closed: ["拼团活动已结束，已全额退款", "The group buy ended; refunded in full"],
};

/**
 * The line under a failed order's status. A failed order is refunded by itself (the delivery cron retries a refund
 * the gateway refused), so while it is still `failed` the refund is under way, and once `refunded` it is done.
 */
export function failureWords(reason: string, status: string, kind: Kind): Words {
  const known = WHY_REFUNDED[reason];
  if (known) return known;
  const done = status === "refunded";
  if (isRecharge(kind)) return done ? ["充值失败，已自动退款", "Recharge failed; refunded automatically"] : ["充值失败，款项将自动原路退回", "Recharge failed; your payment is being refunded automatically"];
  return done ? ["发放失败，已自动退款", "Delivery failed; refunded automatically"] : ["发放失败，款项将自动原路退回", "Delivery failed; your payment is being refunded automatically"];
}

const REASON_WORDS: Record<TicketReason, Words> = {
  key_invalid: ["卡密无效", "The key does not work"], not_received: ["未收到", "Not received"], wrong_account: ["充错账号", "Wrong account"], other: ["其他", "Other"],
};
const RECHARGE_REASON_WORDS: Partial<Record<TicketReason, Words>> = { not_received: ["未到账", "Not credited"] };
const COUPON_REASON_WORDS: Partial<Record<TicketReason, Words>> = { key_invalid: ["券无法使用", "The coupon does not work"] };
/** Which problems fit what was bought, most likely first (the form's default); a bundle may hold any kind. */
const REASONS_BY_KIND: Record<string, TicketReason[]> = {
  card_key: ["key_invalid", "not_received", "other"],
  direct_recharge: ["not_received", "wrong_account", "other"],
  coupon: ["key_invalid", "not_received", "other"],
};
const ALL_REASONS: TicketReason[] = ["key_invalid", "not_received", "wrong_account", "other"];

/** A ticket's problem in words, as the buyer chose it for this kind of product. */
export function reasonWords(reason: string, kind: Kind): Words {
  const r = reason as TicketReason;
  return (isRecharge(kind) ? RECHARGE_REASON_WORDS[r] : kind === "coupon" ? COUPON_REASON_WORDS[r] : undefined) ?? REASON_WORDS[r] ?? [reason, reason];
}

/** The after-sale form's problem list for this kind of product: its values (all allowed TicketReasons) and words. */
export function ticketReasonOptions(kind: Kind): { value: TicketReason; words: Words }[] {
  return (REASONS_BY_KIND[kind ?? ""] ?? ALL_REASONS).map((value) => ({ value, words: reasonWords(value, kind) }));
}
