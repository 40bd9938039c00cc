/**
 * How the buyer's order pages word an order, by what was bought: a direct recharge (直充) is recharged, not
 * delivered, so it fails as 充值失败 and its after-sale problems are about the account (未到账, 充错账号), not a key.
 * Pure (no DOM): each text is a [zh, en] pair for `t(...)`; tested in test/unit/order-words-unit.test.ts.
 */
import type { TICKET_REASONS } from "../../../schema/after-sale";
import { afterSaleKind, ticketReasonsFor } from "../../../worker/domain/after-sale";
export { afterSaleKind };

export type Words = [string, string];
type Kind = string | null | undefined;
type TicketReason = (typeof TICKET_REASONS)[number];

const isRecharge = (kind: Kind) => kind === "direct_recharge";
/** A stored-value top-up (储值): money into the member's card, worded 到账 (afterSaleKind gives this kind). */
const isTopUp = (kind: Kind) => kind === "stored_value";

export const ORDER_STATUS: Record<string, Words> = {
  created: ["待支付", "Awaiting payment"], paid: ["已支付，发放中", "Paid, delivering"], delivered: ["已发放", "Delivered"],
  failed: ["发放失败", "Failed"], refunded: ["已退款", "Refunded"], cancelled: ["已取消", "Cancelled"], expired: ["已过期", "Expired"],
};
const RECHARGE_STATUS: Record<string, Words> = {
  paid: ["已支付，充值中", "Paid, recharging"], delivered: ["已充值", "Recharged"], failed: ["充值失败", "Recharge failed"],
};
const TOP_UP_STATUS: Record<string, Words> = {
  paid: ["已支付，入账中", "Paid, crediting"], delivered: ["已到账", "Credited"], failed: ["入账失败", "Not credited"],
};

/**
 * An order's status: a paid group-buy seat waits for its team; a direct recharge is recharging / recharged / failed;
 * a failed bundle was not delivered at all (a bundle is delivered whole or not at all) and its refund is under way.
 */
export function orderStatusWords(o: { status: string; source?: string | null; productKind?: Kind }): Words {
  if (o.status === "paid" && o.source?.startsWith("group:")) return ["已支付，等待成团", "Paid, waiting for the team"];
  if (o.status === "failed" && o.productKind === "bundle") return ["未发放，退款中", "Not delivered; refunding"];
  const kind = afterSaleKind(o.source, o.productKind);
  const own = isRecharge(kind) ? RECHARGE_STATUS : isTopUp(kind) ? TOP_UP_STATUS : undefined;
  return own?.[o.status] ?? ORDER_STATUS[o.status] ?? [o.status, o.status];
}

/** A delivered order has a key or voucher to open (查看卡券) unless it was money into an account (直充, 储值). */
export function hasRightToView(o: { source?: string | null; productKind?: Kind }): boolean {
  const kind = afterSaleKind(o.source, o.productKind);
  return !isRecharge(kind) && !isTopUp(kind);
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
  if (isTopUp(kind)) return done ? ["储值未能入账，已自动退款", "The top-up could not be credited; refunded automatically"] : ["储值未能入账，款项将自动原路退回", "The top-up could not be credited; your payment is being refunded automatically"];
  return done ? ["发放失败，已自动退款", "Delivery failed; refunded automatically"] : ["发放失败，款项将自动原路退回", "Delivery failed; your payment is being refunded automatically"];
}

export interface BundleItem { name: string; kind: string; quantity: number }

/** Which item of a bundle a failure names (worker/services/fulfilment.ts deliverOrder), and what happened to it. */
const FAILED_ITEM: Record<string, { kind: string; what: Words; some: Words }> = {
  all_suppliers_failed: { kind: "direct_recharge", what: ["充值失败", "could not be recharged"], some: ["组合中的充值失败", "The bundle's recharge failed"] },
  out_of_stock: { kind: "card_key", what: ["库存不足", "was out of stock"], some: ["组合中的卡密库存不足", "A key in the bundle was out of stock"] },
  coupon_budget_exhausted: { kind: "coupon", what: ["已发完", "has run out"], some: ["组合中的券已发完", "A coupon in the bundle has run out"] },
};

/**
 * The line under a failed bundle: which item failed, that the others were not delivered either (a bundle is delivered
 * whole or not at all: its vouchers are written in one batch once every item is in hand), and the refund of the whole
 * payment — under way while `failed`, done once `refunded`. Null when the items are not known (the bundle is gone) or
 * the reason is a group buy's: failureWords says it then.
 *   “话费直充 30 元”充值失败，“视频会员月卡”未发放，已全额自动退款
 */
export function bundleFailureWords(reason: string, status: string, items: BundleItem[] | undefined): Words | null {
  if (!items?.length || WHY_REFUNDED[reason]) return null;
  const named = (list: BundleItem[], lang: 0 | 1) =>
    list.map((i) => (lang ? `"${i.name}"${i.quantity > 1 ? ` × ${i.quantity}` : ""}` : `“${i.name}”${i.quantity > 1 ? `（共 ${i.quantity} 份）` : ""}`)).join(lang ? ", " : "、");
  const failed = FAILED_ITEM[reason];
  const culprits = failed ? items.filter((i) => i.kind === failed.kind) : [];
  // One item of the failing kind is the one that failed; with several, which one is not known.
  const one = culprits.length === 1 ? culprits[0]! : null;
  const others = one ? items.filter((i) => i !== one) : items;
  const head: Words = one ? [`${named([one], 0)}${failed!.what[0]}`, `${named([one], 1)} ${failed!.what[1]}`]
    : failed ? failed.some : ["组合未能完整发放", "The bundle could not be delivered in full"];
  const rest: Words = others.length
    ? [`${named(others, 0)}${others.length > 1 || one === null ? "均" : ""}未发放`, `${named(others, 1)} ${others.length > 1 ? "were" : "was"} not delivered${one ? " either" : ""}`]
    : ["", ""];
  const refund: Words = status === "refunded" ? ["已全额自动退款", "refunded in full automatically"] : ["款项将自动原路全额退回", "your payment is being refunded in full automatically"];
  return [
    [head[0], rest[0], refund[0]].filter(Boolean).join("，"),
    `${[head[1], rest[1]].filter(Boolean).join("; ")}; ${refund[1]}`,
  ];
}

const REASON_WORDS: Record<TicketReason, Words> = {
  key_invalid: ["卡密无效", "The key does not work"], not_received: ["未收到", "Not received"], wrong_account: ["充错账号", "Wrong account"], other: ["其他", "Other"],
};
const RECHARGE_REASON_WORDS: Partial<Record<TicketReason, Words>> = { not_received: ["未到账", "Not credited"] };
const COUPON_REASON_WORDS: Partial<Record<TicketReason, Words>> = { key_invalid: ["券无法使用", "The coupon does not work"] };
/** A ticket's problem in words, as the buyer chose it for this kind of product. */
export function reasonWords(reason: string, kind: Kind): Words {
  const r = reason as TicketReason;
  return (isRecharge(kind) || isTopUp(kind) ? RECHARGE_REASON_WORDS[r] : kind === "coupon" ? COUPON_REASON_WORDS[r] : undefined) ?? REASON_WORDS[r] ?? [reason, reason];
}

/** The after-sale form's problem list for this kind of product (the API's own list, worker/domain/after-sale.ts) with words. */
export function ticketReasonOptions(kind: Kind): { value: TicketReason; words: Words }[] {
  return ticketReasonsFor(kind).map((value) => ({ value, words: reasonWords(value, kind) }));
}

/**
 * The line under a paid order still being delivered: a direct recharge waits for its supplier (minutes at worst), and
 * whatever was bought, a failure is refunded by itself and the page updates on its own.
 */
export function paidNoteWords(kind: Kind): Words {
  return isRecharge(kind)
    ? ["支付成功，正在充值。直充需等待上游充值结果，可能需要几分钟；结果出来后本页自动更新。若充值失败，款项将自动原路全额退回。",
      "Paid; recharging. A direct recharge waits for the supplier's result, which may take a few minutes; this page updates by itself. If it fails, your payment is refunded in full automatically."]
    : ["支付成功，正在发放，结果出来后本页自动更新。若发放失败，款项将自动原路全额退回。",
      "Paid; delivering. This page updates by itself. If delivery fails, your payment is refunded in full automatically."];
}

export type VoucherTab = "usable" | "used" | "expired";

/**
 * A direct recharge's right is used up when it is delivered: the supplier has put it into the account, so there is
 * nothing left to use, and its validity passing takes nothing away. It reads 已充值 under 已使用 — never 可使用 with
 * 去使用, nor 已过期 the day after. Null: the voucher's own status words.
 */
export function rechargeVoucherWords(v: { kind: string; status: string }): Words | null {
  return isRecharge(v.kind) && (v.status === "issued" || v.status === "expired") ? ["已充值", "Recharged"] : null;
}

/** Which tab of 我的卡券 a voucher is listed under. */
export function voucherTab(v: { kind: string; status: string }): VoucherTab {
  if (rechargeVoucherWords(v) || v.status === "redeemed") return "used";
  return v.status === "issued" ? "usable" : "expired";
}
