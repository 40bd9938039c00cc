/** The brand's integrity index on its store page: score and the rates behind it, from /brands/{slug}/integrity. */
import { t } from "./i18n";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export async function showIntegrity(box: HTMLElement, slug: string) {
  const res = await fetch(`/api/v1/brands/${encodeURIComponent(slug)}/integrity`).catch(() => null);
  if (!res?.ok) return;
  const i = await res.json();
  box.hidden = false;
  box.innerHTML = "";
  const h = document.createElement("h2");
  h.textContent = `${t("品牌诚信指数", "Brand integrity")} ${i.score}/100`;
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = [
    `${t("投诉率", "Complaint rate")} ${pct(i.complaintRate)}`,
    `${t("补偿率", "Compensated")} ${i.complaints ? pct(i.compensationRate) : "—"}`,
    `${t("券可用率", "Vouchers honoured")} ${pct(i.redemptionSuccessRate)}`,
    i.ratings ? `${t("评分", "Rating")} ${i.ratingAverage}★ (${i.ratings})` : t("暂无评分", "No ratings yet"),
  ].join(" · ");
  const small = document.createElement("p");
  small.className = "muted";
  small.textContent = t(`近 ${i.periodDays} 天；每张券的发放与核销都记录在可校验的存证日志中`, `Last ${i.periodDays} days; every issuance and redemption is in a verifiable log`);
  box.append(h, p, small);
}
