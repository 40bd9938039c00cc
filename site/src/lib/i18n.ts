/**
 * Chinese by default, English on request. Static pages carry their Chinese text and an English twin in
 * `data-en` (and `data-en-placeholder`, `data-en-aria-label`); `applyLanguage` swaps them in place. Scripts that
 * write text use `t(zh, en)`; switching reloads the page so that text follows. The choice is kept in localStorage and can be forced with `?lang=en|zh`.
 */
export type Lang = "zh" | "en";

export function currentLang(): Lang {
  const forced = new URLSearchParams(location.search).get("lang");
  if (forced === "en" || forced === "zh") {
    localStorage.setItem("kq-lang", forced);
    return forced;
  }
  return localStorage.getItem("kq-lang") === "en" ? "en" : "zh";
}

/**
 * A page's own script runs before the layout's (Astro emits the page's module first), so a `t()` at its top level
 * (a range line, a status label) would still see lang="zh-CN". The document's language is therefore set as soon as
 * this module loads; the layout then swaps the static `data-en` text as before.
 */
try {
  if (typeof document !== "undefined" && currentLang() === "en") document.documentElement.lang = "en";
} catch {
  /* storage unavailable: the layout decides */
}

export function t(zh: string, en: string): string {
  return document.documentElement.lang === "en" ? en : zh;
}

const ATTRS = ["placeholder", "aria-label", "title"] as const;

/** An API message written in both languages ("中文 / English"), in the page's; any other message as it is. */
export function bilingual(message: string): string {
  const at = message.lastIndexOf(" / ");
  return at < 0 ? message : t(message.slice(0, at), message.slice(at + 3));
}

export function applyLanguage(lang: Lang, root: ParentNode = document) {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  for (const el of root.querySelectorAll<HTMLElement>("[data-en]")) {
    if (el.dataset.zh === undefined) el.dataset.zh = el.textContent ?? "";
    // A script has since written its own content here (a title over "加载中…"): that is not ours to swap.
    else if (el.textContent !== el.dataset.zh && el.textContent !== el.dataset.en) continue;
    el.textContent = lang === "en" ? el.dataset.en! : el.dataset.zh;
  }
  for (const attr of ATTRS) {
    const key = `en-${attr}`;
    for (const el of root.querySelectorAll<HTMLElement>(`[data-${key}]`)) {
      const zhKey = `zh-${attr}`;
      if (el.getAttribute(`data-${zhKey}`) === null) el.setAttribute(`data-${zhKey}`, el.getAttribute(attr) ?? "");
      el.setAttribute(attr, lang === "en" ? el.getAttribute(`data-${key}`)! : el.getAttribute(`data-${zhKey}`)!);
    }
  }
}

/**
 * Static text swaps at once; then the page loads again, because counters, results, tasks and tables were written by
 * its scripts in the old language. A `?lang=` in the address is updated, or it would force the old language back.
 */
export function setLang(lang: Lang) {
  localStorage.setItem("kq-lang", lang);
  applyLanguage(lang);
  document.dispatchEvent(new CustomEvent("kq:lang", { detail: lang }));
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", lang);
    location.replace(url);
  } else location.reload();
}
