/** Storefront helpers: the store (tenant slug) comes from ?t= (default "demo"); the buyer is a signed cookie. */
import { imageAttrs, kindName, validityName, yuan } from "../../../worker/domain/product-html";
import { chinaDay } from "../../../worker/domain/china-time";
import { t } from "./i18n";
import { ORDER_STATUS, orderStatusWords, rechargeVoucherWords } from "./order-words";

export { yuan };
const lang = () => (document.documentElement.lang === "en" ? "en" : "zh");
export const validityText = (v: Parameters<typeof validityName>[1]) => validityName(lang(), v);
export const kindText = (k: string) => kindName(lang(), k);
export const imageProps = (url: string, sizes: string): Partial<HTMLImageElement> => imageAttrs(url, sizes);

export const store = () => new URLSearchParams(location.search).get("t") || "demo";
export const param = (name: string) => new URLSearchParams(location.search).get(name);
export const shopUrl = (path: string) => `/api/v1/shop/${encodeURIComponent(store())}${path}`;

export async function shopFetch<T = any>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: T & { error?: { code: string; message: string } } }> {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(shopUrl(path), { ...init, headers, credentials: "same-origin", body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}



export { ORDER_STATUS };
/** An order's status in words, by what was bought (lib/order-words.ts): a group seat waits for its team, a recharge fails as 充值失败. */
export const orderStatusText = (o: { status: string; source?: string | null; productKind?: string | null }) => t(...orderStatusWords(o));
export const VOUCHER_STATUS: Record<string, [string, string]> = {
  issued: ["可使用", "Ready"], redeemed: ["已核销", "Redeemed"], expired: ["已过期", "Expired"], voided: ["已作废", "Voided"], refunded: ["已退款", "Refunded"],
};
/** A moment in the visitor's own time (China time for a visitor in China), as the other buyer pages show it; never the API's UTC. */
export const localTime = (iso: string, seconds = false) =>
  new Date(iso).toLocaleString("zh-CN", { hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
export const statusText = (map: Record<string, [string, string]>, s: string) => t(...(map[s] ?? [s, s]));

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { class?: string } = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  const { class: cls, ...rest } = props;
  Object.assign(node, rest);
  if (cls) node.className = cls;
  node.append(...children);
  return node;
}

/** An issued voucher whose window has not opened yet: the store refuses it (voucher_not_yet_valid) until validFrom. */
export const notYetValid = (v: { status: string; validFrom: string }, now = Date.now()) => v.status === "issued" && now < Date.parse(v.validFrom);

/** One voucher card: status, validity, scope, secret with a copy button (only present for the holder), tutorial. */
export function voucherCard(v: any): HTMLElement {
  const card = el("article", { class: "card voucher" });
  card.dataset.code = v.code;
  // A delivered recharge is in the account already: 已充值, and no validity to watch (order-words.ts).
  const recharged = rechargeVoucherWords(v);
  const waiting = !recharged && notYetValid(v);
  const status = recharged
    ? t(...recharged)
    : waiting
      ? t(`未生效，${localTime(v.validFrom)} 起可用`, `Not valid yet: from ${localTime(v.validFrom)}`)
      : statusText(VOUCHER_STATUS, v.status);
  card.append(el("h3", {}, v.title), el("p", { class: `muted status-${waiting ? "pending" : v.status}` }, `${kindText(v.kind)} · ${status}`));
  // China days, as the product page and the campaign rules state the window: a visitor abroad reads the same dates.
  if (!recharged) card.append(el("p", { class: "muted" }, `${t("有效期：", "Valid: ")}${chinaDay(v.validFrom)} ~ ${v.validTo ? chinaDay(v.validTo) : t("长期", "open")}`));
  // Where it can be used, as the product page said before the purchase (a coupon that excludes 直充 says so here too).
  if (v.scope) card.append(el("p", { class: "muted scope" }, `${t("适用范围：", "Where to use: ")}${v.scope}`));
  if (v.secret) {
    const code = el("code", { class: "secret" }, v.secret);
    const copy = el("button", { type: "button", class: "ghost" }, t("复制", "Copy"));
    copy.onclick = () => navigator.clipboard?.writeText(v.secret).then(() => (copy.textContent = t("已复制", "Copied")));
    card.append(el("div", { class: "secret-row" }, code, copy));
  }
  if (v.meta?.account) card.append(el("p", { class: "muted" }, `${t("充值账号：", "Account: ")}${v.meta.account}`));
  if (v.tutorial) {
    const d = el("details", {}, el("summary", {}, t("使用教程", "How to redeem")));
    d.append(el("p", { class: "pre" }, v.tutorial));
    card.append(d);
  }
  return card;
}

/**
 * src/srcset for a product image. Uploaded images (/api/v1/media/…) come in the widths the admin page made at upload,
 * so the phone downloads the size it shows; other URLs (the demo's SVGs) as they are.
 */
