/**
 * 适用门店 on a held coupon (issue 19 item 6): the stores where it can be used, nearest first from the browser's
 * location (asked only when the holder opens the list; refused → pick a city), with distance, open-now and today's
 * hours computed at the edge. Map links open Amap's web page (no SDK), told the point is WGS-84.
 */
import { errorText } from "./error-text";
import { t } from "./i18n";
import { el, shopFetch } from "./shop-api";

export const distanceText = (m: number) => (m < 1000 ? `${m} m` : `${(m / 1000).toFixed(m < 10_000 ? 1 : 0)} km`);

function storeRow(s: any): HTMLElement {
  const li = el("li", { class: "nearby-store" });
  li.dataset.storeId = s.id;
  const head = el("div", { class: "ns-head" }, el("b", {}, s.name));
  if (s.distanceMeters !== null) head.append(el("span", { class: "ns-dist" }, distanceText(s.distanceMeters)));
  li.append(head);
  if (s.address || s.city) li.append(el("p", { class: "muted" }, [s.city, s.address].filter(Boolean).join(" · ")));
  const facts = el("p", { class: "ns-facts" });
  if (s.openNow !== null) facts.append(el("span", { class: s.openNow ? "ns-open" : "ns-closed" }, s.openNow ? t("营业中", "Open now") : t("已打烊", "Closed")));
  if (s.todayHours) facts.append(el("span", { class: "muted" }, s.todayHours.length ? `${t("今日", "Today")} ${s.todayHours.join(", ")}` : t("今日休息", "Closed today")));
  if (s.mapUrl) facts.append(el("a", { href: s.mapUrl, target: "_blank", rel: "noopener", class: "ns-map" }, t("地图", "Map")));
  li.append(facts);
  return li;
}

/** A collapsed panel; its stores load when it is opened. */
export function storesPanel(code: string): HTMLElement {
  const d = el("details", { class: "voucher-stores" }, el("summary", {}, t("适用门店", "Where to use it")));
  const status = el("p", { class: "muted", role: "status" });
  const locate = el("button", { type: "button", class: "ghost ns-locate" }, t("按距离排序（使用我的位置）", "Nearest first (use my location)"));
  const city = el("select", { class: "ns-city" }) as HTMLSelectElement;
  city.setAttribute("aria-label", t("选择城市", "Choose a city"));
  const list = el("ol", { class: "ns-list" });
  d.append(el("div", { class: "ns-controls" }, locate, city), status, list);

  async function load(q: string) {
    status.textContent = t("加载中…", "Loading…");
    const r = await shopFetch<any>(`/vouchers/${encodeURIComponent(code)}/stores${q}`);
    if (r.status !== 200) {
      status.textContent = errorText(r.body?.error);
      return;
    }
    const { stores, cities } = r.body;
    if (city.options.length === 0) {
      city.append(el("option", { value: "" }, t("全部城市", "All cities")), ...cities.map((c: string) => el("option", { value: c }, c)));
      city.hidden = cities.length < 2;
    }
    list.innerHTML = "";
    list.append(...stores.map(storeRow));
    status.textContent = stores.length ? (r.body.order === "distance" ? t("离你最近的在前", "Nearest first") : "") : t("暂无可用门店", "No store takes it yet");
  }

  function locateMe() {
    if (!navigator.geolocation) {
      status.textContent = t("此浏览器无法定位，请选择城市", "This browser cannot locate you: choose a city");
      return;
    }
    status.textContent = t("正在获取位置…", "Finding you…");
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        city.value = "";
        void load(`?lat=${pos.coords.latitude.toFixed(6)}&lng=${pos.coords.longitude.toFixed(6)}`);
      },
      () => { status.textContent = t("未获得位置权限，可选择城市查看门店", "No location permission: choose a city instead"); },
      { timeout: 10_000, maximumAge: 300_000 },
    );
  }

  locate.onclick = locateMe;
  city.onchange = () => void load(city.value ? `?city=${encodeURIComponent(city.value)}` : "");
  let opened = false;
  d.addEventListener("toggle", async () => {
    if (!d.open || opened) return;
    opened = true;
    await load("");
    // Already allowed on this site: sort by distance straight away; otherwise wait for the button (no prompt on open).
    const perm = await navigator.permissions?.query({ name: "geolocation" }).catch(() => null);
    if (perm?.state === "granted") locateMe();
  });
  return d;
}
