/**
 * The product page's article as HTML, one renderer for both sides: the worker prerenders it into the static page at
 * the edge (so the page's largest element needs no API call), and the page's script renders it the same way when it
 * has to (another language, or no prerendered copy). Pure: strings in, escaped HTML out.
 */
import type { Product, Validity } from "../../schema/catalog";
import { chinaDay } from "./china-time";

export type Lang = "zh" | "en";
type PageProduct = Omit<Product, "tenantId" | "stockTotal" | "lowStockThreshold"> & { bundleItems?: { name: string; quantity: number }[] };

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);
const tr = (lang: Lang, zh: string, en: string) => (lang === "en" ? en : zh);

/** ¥12.30; a debit reads -¥1.00 (not ¥-1.00). */
export const yuan = (cents: number) => `${cents < 0 ? "-" : ""}¥${(Math.abs(cents) / 100).toFixed(2)}`;

export const KIND: Record<string, [string, string]> = {
  card_key: ["卡密", "Card key"], direct_recharge: ["直充", "Direct recharge"], coupon: ["优惠券", "Coupon"], bundle: ["组合权益", "Bundle"],
};
export const kindName = (lang: Lang, k: string) => tr(lang, ...(KIND[k] ?? [k, k]));

export function validityName(lang: Lang, v: Validity | null): string {
  if (!v) return tr(lang, "未设置", "not set");
  if (v.kind === "relative") return tr(lang, `购买后 ${v.days} 天内有效`, `valid ${v.days} days after purchase`);
  // China days, as 我的卡券 and the order page show them: a validTo of 23:59:59Z is already the next day in China.
  return `${chinaDay(v.validFrom)} ~ ${chinaDay(v.validTo)}`;
}

/** Responsive sources for images served by the media route; other URLs are used as they are. */
export function imageAttrs(url: string, sizes: string): { src: string; srcset?: string; sizes?: string } {
  if (!url.startsWith("/api/v1/media/")) return { src: url };
  return { src: `${url}?w=640`, srcset: [320, 640, 1280].map((w) => `${url}?w=${w} ${w}w`).join(", "), sizes };
}

const attrs = (a: Record<string, string | number | boolean | undefined>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
    .join("");

/** The kind, and the subtitle after it when there is one (no dangling separator). */
const kindLine = (lang: Lang, p: Pick<PageProduct, "kind" | "subtitle">) =>
  [kindName(lang, p.kind), p.subtitle?.trim()].filter(Boolean).map((x) => escapeHtml(x!)).join(" · ");

export function productArticleHtml(p: PageProduct, lang: Lang): string {
  const e = escapeHtml;
  const out: string[] = [];
  const image = p.media.images[0];
  // The hero is the page's largest element: eager, high priority, its box fixed by width/height.
  if (image) out.push(`<img${attrs({ ...imageAttrs(image, "(max-width: 960px) 100vw, 960px"), alt: p.name, class: "hero", width: 640, height: 360, fetchpriority: "high" })}>`);
  out.push(`<h1>${e(p.name)}</h1>`, `<p class="muted">${kindLine(lang, p)}</p>`);
  out.push(`<p class="price">${yuan(p.priceCents)} <s class="muted">${e(tr(lang, "面值", "Face value"))} ${yuan(p.faceValueCents)}</s></p>`);
  // A bundle says what it holds, under its price: each item by name and how many (组合内容).
  if (p.bundleItems?.length) {
    out.push(`<div class="bundle-items"><p class="muted">${e(tr(lang, "组合内容", "What's inside"))}</p><ul>${p.bundleItems.map((i) => `<li><span>${e(i.name)}</span> <span class="qty">× ${i.quantity}</span></li>`).join("")}</ul></div>`);
  }
  const facts: [string, string][] = [
    [tr(lang, "有效期", "Validity"), validityName(lang, p.validity)],
    [tr(lang, "适用范围", "Scope"), p.scope],
  ];
  if (p.usageRules) facts.push([tr(lang, "使用规则", "Rules"), p.usageRules]);
  if (p.perUserLimit) facts.push([tr(lang, "限购", "Limit"), tr(lang, `每人限购 ${p.perUserLimit} 件`, `${p.perUserLimit} per buyer`)]);
  const stock = p.stock;
  if (stock) facts.push([tr(lang, "库存", "Stock"), stock.available > 0 ? (stock.total === null ? tr(lang, "充足", "plenty") : String(stock.available)) : tr(lang, "已售罄", "sold out")]);
  out.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd class="pre">${e(v)}</dd>`).join("")}</dl>`);
  if (p.description) out.push(`<p class="pre">${e(p.description)}</p>`);
  if (p.media.videoUrl) out.push(`<video${attrs({ src: p.media.videoUrl, controls: true, preload: "none", class: "hero" })}></video>`);
  if (p.tutorial) out.push(`<details><summary>${e(tr(lang, "兑换教程", "How to redeem"))}</summary><p class="pre">${e(p.tutorial)}</p></details>`);
  return out.join("");
}

type CardProduct = Pick<Product, "id" | "kind" | "name" | "subtitle" | "priceCents" | "media"> & { stock?: { available: number } | null };

/**
 * The shop's product list as cards (`#list` of /shop/): prerendered by the worker, rendered the same way by the page's
 * script when it must. The first card's image is the page's largest element: loaded at once, the rest lazily.
 */
export function productCardsHtml(products: CardProduct[], slug: string, lang: Lang): string {
  const e = escapeHtml;
  return products.map((p, i) => {
    const image = p.media.images[0];
    const img = image
      ? `<img${attrs({ ...imageAttrs(image, "(max-width: 640px) 100vw, 320px"), alt: "", width: 320, height: 180, ...(i === 0 ? { fetchpriority: "high" } : { loading: "lazy" }) })}>`
      : "";
    const soldOut = p.stock && p.stock.available <= 0 ? `<p class="bad">${e(tr(lang, "已售罄", "Sold out"))}</p>` : "";
    const href = `/shop/product/?t=${encodeURIComponent(slug)}&id=${encodeURIComponent(p.id)}`;
    return `<a${attrs({ class: "card product", href })}>${img}<h2>${e(p.name)}</h2><p class="muted">${kindLine(lang, p)}</p><p class="price">${yuan(p.priceCents)}</p>${soldOut}</a>`;
  }).join("");
}

/** JSON safe inside a <script type="application/json"> element (no "</script>", no HTML comment openers). */
export const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
