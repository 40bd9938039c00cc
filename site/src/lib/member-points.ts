/** Shared bits of the member points pages (积分 / 积分商城): the section nav and the not-a-member notice. */
import { t } from "./i18n";
import { el, store } from "./shop-api";

export const q = () => `?t=${encodeURIComponent(store())}`;

export function linkNav() {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav.seg a[data-path]")) a.href = `${a.dataset.path}${q()}`;
}

/** 403 not_a_member: the member centre (/shop/member/) is where a buyer joins. */
export function joinNotice(box: HTMLElement) {
  box.replaceChildren(el("article", { class: "card" },
    el("p", {}, t("加入会员后即可签到、赚积分、兑换好礼。", "Join the membership to check in, earn points and exchange them for rewards.")),
    el("a", { class: "primary", href: `/shop/member/${q()}` }, t("去加入会员", "Join now"))));
}

export const MOVE_KIND: Record<string, [string, string]> = {
  earn: ["获得", "Earned"], spend: ["使用", "Spent"], reverse: ["退回/冲正", "Reversed"], expire: ["过期", "Expired"], adjust: ["调整", "Adjusted"],
};
export const SOURCE: Record<string, [string, string]> = {
  order: ["购物", "Purchase"], redemption: ["到店核销", "Store redemption"], check_in: ["签到", "Check-in"], task: ["任务", "Task"],
  referral: ["邀请好友", "Referral"], mall: ["积分商城", "Points mall"], lot: ["积分到期", "Expiry"], adjustment: ["客服调整", "Adjustment"],
};
