/**
 * Holder-side additions to "my vouchers": a QR code of the public code for in-store redemption (scanned by the
 * merchant console), a provenance link, "doesn't work" reports, star ratings, and live status via ETag polling.
 */
import qrcode from "qrcode-generator";
import { storesPanel } from "./nearby-stores";
import { errorText } from "./error-text";
import { t } from "./i18n";
import { el, localTime, notYetValid, shopFetch, store } from "./shop-api";
import { watchVoucherStatus } from "./voucher-status";

const PROBLEMS: [string, string, string][] = [
  ["invalid_key", "卡密/券码无效", "Key or code invalid"],
  ["already_used", "显示已被使用", "Says already used"],
  ["wrong_value", "面值不符", "Wrong value"],
  ["other", "其他问题", "Other"],
];

function qr(code: string): HTMLElement {
  const q = qrcode(0, "M");
  q.addData(code);
  q.make();
  const box = el("div", { class: "voucher-qr" });
  box.innerHTML = q.createSvgTag({ cellSize: 4, margin: 2, scalable: true });
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", t(`券码二维码 ${code}`, `QR code of ${code}`));
  return box;
}

function reportForm(code: string, out: HTMLElement): HTMLElement {
  const d = el("details", { class: "voucher-report" }, el("summary", {}, t("无法使用？申请补偿", "Not working? Ask for compensation")));
  const sel = el("select", {});
  for (const [v, zh, en] of PROBLEMS) sel.append(new Option(t(zh, en), v));
  const note = el("input", { placeholder: t("补充说明（可选）", "Details (optional)"), maxLength: 500 });
  const send = el("button", { type: "button", class: "ghost" }, t("提交", "Submit"));
  send.onclick = async () => {
    send.disabled = true;
    const r = await shopFetch<any>(`/vouchers/${encodeURIComponent(code)}/report`, { method: "POST", json: { problem: sel.value, note: note.value } });
    const c = r.body;
    out.className = r.status === 200 ? "ok" : "bad";
    out.textContent =
      r.status !== 200
        ? errorText(c?.error, ["提交失败", "Failed"])
        : c.status === "replaced"
          ? t("已为您补发一张新券", "A replacement has been issued")
          : c.status === "refunded"
            ? t(`已退款 ¥${((c.refundCents ?? 0) / 100).toFixed(2)}`, `Refunded ¥${((c.refundCents ?? 0) / 100).toFixed(2)}`)
            : t("已提交，品牌方将尽快处理", "Submitted: the brand will handle it");
    if (r.status === 200 && c.status !== "open") setTimeout(() => location.reload(), 1200);
  };
  d.append(sel, note, send);
  return d;
}

function rechargeAfterSale(orderId: string): HTMLElement {
  const href = `/shop/order/?t=${encodeURIComponent(store())}&o=${encodeURIComponent(orderId)}#after-sale`;
  return el("p", {}, el("a", { href, class: "muted recharge-after-sale" }, t("未到账或充错账号？申请售后 →", "Not credited or wrong account? After-sale service →")));
}

function ratingRow(code: string, out: HTMLElement): HTMLElement {
  const row = el("div", { class: "voucher-rating" }, el("span", { class: "muted" }, t("评价：", "Rate: ")));
  for (let s = 1; s <= 5; s++) {
    const b = el("button", { type: "button", class: "star", title: `${s}` }, "★");
    b.setAttribute("aria-label", t(`${s} 星`, `${s} stars`));
    b.onclick = async () => {
      const r = await shopFetch<any>(`/vouchers/${encodeURIComponent(code)}/rating`, { method: "PUT", json: { stars: s } });
      row.querySelectorAll<HTMLButtonElement>(".star").forEach((x, i) => x.classList.toggle("on", i < s));
      out.className = r.status === 200 ? "ok" : "bad";
      out.textContent = r.status === 200 ? t("感谢评价", "Thanks for rating") : errorText(r.body?.error, ["提交失败", "Failed"]);
    };
    row.append(b);
  }
  return row;
}

/** Adds QR, verify link, report and rating to each rendered voucher card in `list`; returns a stop function. */
export function decorateVouchers(list: HTMLElement, vouchers: { code: string; status: string; kind: string; validFrom: string; orderId?: string | null }[], onStatusChange: () => void): () => void {
  const known = new Map(vouchers.map((v) => [v.code, v.status]));
  for (const card of list.querySelectorAll<HTMLElement>("article.voucher[data-code]")) {
    const code = card.dataset.code!;
    const v = vouchers.find((x) => x.code === code);
    if (!v) continue;
    const out = el("p", { class: "muted", role: "status" });
    // Only coupons are used at a store; a card key is redeemed online in the brand's app (see its tutorial).
    // Not before its window opens: the store would refuse it (the card says from when).
    if (v.status === "issued" && v.kind === "coupon" && !notYetValid(v)) {
      card.append(el("p", { class: "muted" }, t("到店出示此二维码，由店员扫码核销", "Show this QR code at the store to redeem")), qr(code), storesPanel(code));
    }
    card.append(el("a", { href: `/verify/?code=${encodeURIComponent(code)}`, class: "muted" }, t("查看溯源与存证 →", "Provenance →")));
    // A recharge's problems (未到账, 充错账号) are an after-sale ticket on its order, not a key to report.
    if (v.kind === "direct_recharge" && v.orderId) card.append(rechargeAfterSale(v.orderId));
    else if (v.status === "issued" && v.kind !== "direct_recharge") card.append(reportForm(code, out));
    card.append(ratingRow(code, out), out);
  }
  // Live: when a merchant redeems (or anything else changes), re-render; a redeemed voucher says when and where.
  return watchVoucherStatus([...known.keys()], (items) => {
    if (items.some((i) => known.get(i.code) !== i.status)) return onStatusChange();
    for (const i of items) {
      const card = i.redeemedAt ? list.querySelector<HTMLElement>(`article.voucher[data-code="${CSS.escape(i.code)}"]`) : null;
      if (!card || card.querySelector(".redeemed-at")) continue;
      const where = i.storeName ? ` · ${i.storeName}` : "";
      card.querySelector(`[class*="status-"]`)?.after(el("p", { class: "muted redeemed-at" }, `${t("核销于", "Redeemed")} ${localTime(i.redeemedAt!)}${where}`));
    }
  });
}
