/** Storefront helpers for campaign pages: public campaign routes plus the buyer (guest or signed in) as user id. */
import { shopFetch, store } from "./shop-api";
import { t } from "./i18n";

export const campaignUrl = (id: string, path = "") => `/api/v1/public/campaigns/${encodeURIComponent(id)}${path}`;

export async function getJson<T = any>(url: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(url, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (text ? JSON.parse(text) : null) as T & { error?: { code: string; message: string } } };
}

/** The buyer id is the campaign user id; a guest session is started on first use. */
export async function buyerId(): Promise<string> {
  const me = await shopFetch<{ buyer: { id: string } | null } & { id?: string }>("/me");
  const existing = me.body?.buyer?.id ?? me.body?.id;
  if (existing) return existing;
  const guest = await shopFetch<{ buyer?: { id: string }; id?: string }>("/guest", { method: "POST", json: {} });
  return guest.body?.buyer?.id ?? guest.body?.id ?? "";
}

/** One claim or draw by the signed-in (or guest) buyer; the session cookie names the claimant. */
export async function submitClaim(campaignId: string, userId: string) {
  return getJson(campaignUrl(campaignId, "/claims"), {
    method: "POST",
    headers: { "x-device-id": deviceId() },
    json: { userId, requestId: crypto.randomUUID(), referrerId: new URLSearchParams(location.search).get("ref") || undefined },
  });
}

/** A stable device id for the per-device rate limit. */
export function deviceId(): string {
  let id = localStorage.getItem("kq-device");
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem("kq-device", id);
  }
  return id;
}

export const REJECT: Record<string, [string, string]> = {
  sold_out: ["已抢光", "Sold out"],
  limit_reached: ["已达到本活动的领取上限", "You reached this campaign's limit"],
  daily_limit_reached: ["今日已领取，明天再来", "Daily limit reached, come back tomorrow"],
  no_chances: ["今日抽奖次数已用完", "No draws left today"],
  not_started: ["活动尚未开始", "Not started yet"],
  ended: ["活动已结束", "The campaign has ended"],
  rate_limited: ["操作太频繁，请稍后再试", "Too many attempts, try again shortly"],
};
export const rejectText = (code: string, fallback: string) => (REJECT[code] ? t(...REJECT[code]!) : fallback);

export function countdown(ms: number): string {
  if (ms <= 0) return "00:00:00";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, "0")).join(":");
  return d ? `${d}${t("天", "d")} ${hms}` : hms;
}

export const campaignId = () => new URLSearchParams(location.search).get("id");
export { store };
