/**
 * Where this visitor came from and what they view, for the brand's dashboards. The first landing's UTM parameters and
 * share code are kept (first touch wins) and sent with the call that starts the buyer's session; views go to /track
 * with fetch keepalive (they survive navigation). The API takes the visitor from the session cookie, or before one
 * exists from the anonymous device id kept here.
 */
import { deviceId } from "./campaign-api";
import { shopFetch, store } from "./shop-api";

const KEY = "kq-acq";
type Acq = { utmSource?: string; utmMedium?: string; utmCampaign?: string; share?: string; campaignId?: string };
const TAG = /^[\w.~:+-]{1,64}$/;

function fromUrl(): Acq {
  const q = new URLSearchParams(location.search);
  const pick = (name: string) => { const v = q.get(name)?.trim(); return v && TAG.test(v) ? v : undefined; };
  const share = q.get("share");
  const a: Acq = { utmSource: pick("utm_source"), utmMedium: pick("utm_medium"), utmCampaign: pick("utm_campaign"), share: share && /^[A-Za-z0-9]{8,24}$/.test(share) ? share : undefined };
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v)) as Acq;
}

/** The acquisition to send with a session-creating call: the first landing's, else this page's. */
export function acquisition(campaignId?: string | null) {
  let first: Acq = {};
  try { first = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Acq; } catch { /* unreadable: start again */ }
  if (!Object.keys(first).length) {
    first = fromUrl();
    if (Object.keys(first).length) localStorage.setItem(KEY, JSON.stringify(first));
  }
  return { ...first, ...(campaignId && !first.campaignId ? { campaignId } : {}), deviceId: deviceId() };
}

/**
 * The visitor's buyer session before an action that needs one (join a team, help a friend, join the membership): a new
 * visitor's guest starts with the landing's acquisition, so one who came through a share link is the sharer's referral.
 */
let guestReady: Promise<void> | null = null;
export function ensureGuest(): Promise<void> {
  // One at a time per page: a new visitor's double tap asked twice, found no session twice and made two guests (two
  // member cards, one of them an orphan).
  guestReady ??= (async () => {
    const me = await shopFetch<{ buyer: unknown }>("/me");
    if (!me.body?.buyer) await shopFetch("/guest", { method: "POST", json: { acquisition: acquisition() } });
  })().catch((e: unknown) => {
    guestReady = null;
    throw e;
  });
  return guestReady;
}

/** A view (page_view / product_viewed) for the dashboards; never blocks or fails the page. */
export function trackView(type: "page_view" | "product_viewed", extra: { productId?: string; campaignId?: string } = {}) {
  acquisition(); // a landing with UTM / share parameters is remembered even when the visitor signs up later
  const share = fromUrl().share; // this view came through a share link (its code is attribution, not identity)
  const body = JSON.stringify({ tenant: store(), deviceId: deviceId(), events: [{ type, path: location.pathname.slice(0, 200), ...extra, ...(share ? { shareLink: share } : {}) }] });
  fetch("/api/v1/track", { method: "POST", keepalive: true, credentials: "same-origin", headers: { "content-type": "application/json" }, body }).catch(() => undefined);
}

/**
 * A view of the buyer's own pages (vouchers, orders, member card): a buyer coming back to use what they hold is an
 * active day for retention (these pages sent nothing). Only with a session: an anonymous device there is nobody, and
 * would be a visitor of its own in the funnel.
 */
let buyerViewSent = false;
export async function trackBuyerView(buyer?: unknown) {
  if (buyerViewSent) return;
  // A page that reads /me itself passes its buyer (one request fewer); once per page, whatever it reloads.
  const who = buyer !== undefined ? buyer : (await shopFetch<{ buyer: unknown }>("/me").catch(() => null))?.body?.buyer;
  if (!who || buyerViewSent) return;
  buyerViewSent = true;
  trackView("page_view");
}

/**
 * Shares a campaign: the API returns a link with an opaque share code (and records the share); the system share
 * sheet where there is one, else the link is copied. Returns the link, or null when no session could be had.
 */
const nav: Partial<Navigator> = typeof navigator === "undefined" ? {} : navigator;

export async function shareCampaign(campaignId: string, title: string): Promise<string | null> {
  const res = await fetch(`/api/v1/public/campaigns/${encodeURIComponent(campaignId)}/shares`, {
    method: "POST", credentials: "same-origin", headers: { "content-type": "application/json", "x-device-id": deviceId() },
    body: JSON.stringify({ channel: nav.share ? "system_share" : "copy_link" }),
  });
  if (res.status !== 201) return null;
  const url = new URL(((await res.json()) as { url: string }).url, location.origin).href;
  if (nav.share) await nav.share({ title, url }).catch(() => undefined);
  else await nav.clipboard?.writeText(url).catch(() => undefined);
  return url;
}

/** recommendation_shown / recommendation_clicked (issue 19): through the same /track path as views. */
export function trackRecommendation(
  event: { type: "recommendation_shown"; surface: "product" | "member"; items: number; productId?: string } |
    { type: "recommendation_clicked"; surface: "product" | "member"; productId: string; position: number; fromProductId?: string },
) {
  const body = JSON.stringify({ tenant: store(), deviceId: deviceId(), events: [event] });
  fetch("/api/v1/track", { method: "POST", keepalive: true, credentials: "same-origin", headers: { "content-type": "application/json" }, body }).catch(() => undefined);
}
