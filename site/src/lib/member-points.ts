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
