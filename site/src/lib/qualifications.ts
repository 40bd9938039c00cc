/** 我能领 / 可用 (issue 19): what the buyer may claim or use in this store now, from GET /shop/{store}/qualifications. */
import { t } from "./i18n";
import { chinaDay } from "../../../worker/domain/china-time";
import { el, shopFetch, store, yuan } from "./shop-api";
import { refusalText } from "./eligibility-text";

const KIND: Record<string, [string, string]> = { flash_sale: ["秒杀", "Flash sale"], coupon_claim: ["领券", "Coupon"], lottery: ["抽奖", "Lottery"] };

/** A coupon's terms in plain words: 满100减20, or its face value. */
export function couponTerms(c: { thresholdCents: number | null; discountCents: number | null; faceValueCents: number }) {
  if (c.discountCents != null && c.thresholdCents) return t(`满${yuan(c.thresholdCents)}减${yuan(c.discountCents)}`, `${yuan(c.discountCents)} off ${yuan(c.thresholdCents)}+`);
  if (c.discountCents != null) return t(`立减${yuan(c.discountCents)}`, `${yuan(c.discountCents)} off`);
  return t(`面值${yuan(c.faceValueCents)}`, `Worth ${yuan(c.faceValueCents)}`);
}

export async function renderQualifications(box: HTMLElement) {
  const r = await shopFetch<any>("/qualifications");
  if (r.status !== 200) return;
  const q = r.body;
  const claims = box.querySelector<HTMLElement>("[data-q=claims]")!;
  const coupons = box.querySelector<HTMLElement>("[data-q=coupons]")!;
  const others = box.querySelector<HTMLElement>("[data-q=others]")!;
  const claimable = new Set(q.couponClaims.map((c: any) => c.campaignId));
  claims.replaceChildren(...q.couponClaims.map((c: any) =>
    el("li", {}, el("a", { href: c.url }, c.name), el("span", { class: "tag" }, c.targeted ? t("专属", "For you") : t(...KIND[c.kind]!)))));
  coupons.replaceChildren(...q.coupons.map((c: any) =>
    el("li", {}, el("a", { href: `/shop/vouchers/?t=${encodeURIComponent(store())}` }, c.title), el("span", { class: "tag" }, couponTerms(c)),
      c.validTo ? el("small", { class: "muted" }, t(` 有效期至 ${chinaDay(c.validTo)}`, ` valid to ${chinaDay(c.validTo)}`)) : "")));
  // Running campaigns that are not coupon claims listed above: open to the buyer, or why not.
  others.replaceChildren(...q.campaigns.filter((c: any) => !claimable.has(c.campaignId) && (c.kind !== "coupon_claim" || !c.eligible)).map((c: any) =>
    el("li", {}, el("a", { href: c.url }, c.name), el("span", { class: "tag" }, t(...KIND[c.kind]!)),
      c.eligible ? "" : el("small", { class: "why" }, refusalText(c.refusal?.rule)))));
  box.querySelector<HTMLElement>("[data-q=claims-empty]")!.hidden = q.couponClaims.length > 0;
  box.querySelector<HTMLElement>("[data-q=coupons-empty]")!.hidden = q.coupons.length > 0;
  box.querySelector<HTMLElement>("[data-q=others-box]")!.hidden = others.children.length === 0;
  box.hidden = false;
}
