/** Storefront helpers for campaign pages: public campaign routes plus the buyer (guest or signed in) as user id. */
import { shopFetch, store } from "./shop-api";
import { eligibilityLines, refusalText } from "./eligibility-text";
import { errorText } from "./error-text";
import { randomUuid } from "./random-id";
import { REJECT } from "./reject-text";
import { dailyLimitWords } from "./draw-chances";
import { t } from "./i18n";
import { chinaDay } from "../../../worker/domain/china-time";
import { campaignPageOf, type CampaignPage } from "../../../worker/domain/campaign-pages";
import { answerChallenge, riskHeaders, savePass, type Challenge } from "./risk-challenge";

/**
 * A campaign link opened on the other kind's page (a flash sale's id on the lottery page): the visitor goes to the
 * campaign's own page, with the same query, instead of taking part through a page that would misread the answer.
 */
export function onItsOwnPage(c: { kind: string }, page: CampaignPage): boolean {
  const own = campaignPageOf(c.kind);
  if (own === page) return true;
  location.replace(`/campaigns/${own}/${location.search}${location.hash}`);
  return false;
}

export const campaignUrl = (id: string, path = "") => `/api/v1/public/campaigns/${encodeURIComponent(id)}${path}`;

/** An operator's preview link carries ?preview=<token>: the campaign then reads as live, and claims are refused. */
export function campaignReadUrl(id: string): string {
  const token = new URLSearchParams(location.search).get("preview");
  return campaignUrl(id) + (token ? `?preview=${encodeURIComponent(token)}` : "");
}

/** A banner on a preview, so the operator (and anyone the link reaches) knows nothing here counts yet. */
export function markPreview(c: { preview?: boolean }) {
  if (!c.preview || document.getElementById("preview-banner")) return;
  const banner = document.createElement("div");
  banner.id = "preview-banner";
  banner.setAttribute("role", "status");
  banner.textContent = t("预览模式 · 活动开始前的样子，不能参与", "Preview · how the campaign will look; taking part is off");
  banner.style.cssText = "position:sticky;top:0;z-index:20;background:#fff4d6;color:#7a4b00;padding:8px 12px;font-size:14px;text-align:center;border-bottom:1px solid #f0d38a";
  document.body.prepend(banner);
}

export async function getJson<T = any>(url: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(url, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  const text = await res.text();
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    pass: res.headers.get("x-kaquan-pass"),
    body: (text ? JSON.parse(text) : null) as T & { error?: { code: string; message: string; challenge?: Challenge } },
  };
}

let known: Promise<string | null> | null = null;

/**
 * From the widget's 去验证 link (a phone-only campaign): the widget visitor's session token rides in the fragment
 * (never sent in a URL). This browser continues as that visitor (or the buyer already here takes it over, as on
 * 我的卡券), so the phone sign-in here is the widget visitor's: back on the brand's page the widget continues as the
 * signed-in account.
 */
async function adoptWidgetSession() {
  const token = new URLSearchParams(location.hash.slice(1)).get("s");
  if (!token) return;
  history.replaceState(null, "", location.pathname + location.search);
  await shopFetch("/session", { method: "POST", json: { token } }).catch(() => undefined);
}

/** The session's buyer id, asked once per page (null when none); looking never starts a session. */
export function sessionBuyer(): Promise<string | null> {
  // The signed device cookie (kq_dev_<store>) is bound alongside: claims send it for the per-device limits.
  known ??= adoptWidgetSession()
    .then(() => Promise.all([shopFetch<{ buyer: { id: string } | null }>("/me"), shopFetch("/device", { method: "POST" }).catch(() => null)]))
    .then(([me]) => me.body?.buyer?.id ?? null, () => null);
  return known;
}

/** After a sign-in the session names another buyer (the phone account). */
export function forgetBuyer(id: string) {
  known = Promise.resolve(id);
}

/** The buyer id is the campaign user id; a guest session is started on first use and kept for the page's life. */
export async function buyerId(): Promise<string> {
  const existing = await sessionBuyer();
  if (existing) return existing;
  const { acquisition } = await import("./visit");
  const guest = await shopFetch<{ buyer?: { id: string }; id?: string }>("/guest", { method: "POST", json: { acquisition: acquisition(campaignId()) } });
  const id = guest.body?.buyer?.id ?? guest.body?.id ?? "";
  if (id) known = Promise.resolve(id);
  return id;
}

/**
 * One claim or draw by the signed-in (or guest) buyer; the session cookie names the claimant, the device cookie the
 * device. A claim the server finds suspicious answers 403 with a challenge: it is solved here (`onChallenge` lets the
 * page say so) and the claim retried with the answer; the pass that comes back spares this buyer further challenges.
 */
export async function submitClaim(campaignId: string, userId: string, onChallenge?: () => void) {
  const requestId = randomUuid();
  const send = (extra: Record<string, string> = {}) =>
    getJson(campaignUrl(campaignId, "/claims"), {
      method: "POST",
      headers: { ...riskHeaders(), ...extra },
      json: { userId, requestId },
    });
  let res = await send();
  for (let tries = 0; tries < 2 && res.status === 403 && res.body?.error?.challenge; tries++) {
    onChallenge?.();
    res = await send({ "x-kaquan-challenge": await answerChallenge(res.body.error.challenge) });
  }
  if (res.pass) savePass(res.pass);
  return res;
}

/**
 * A refusal in plain words; not_eligible names its rule (error.issues[0].code). Any other code (campaign_paused,
 * preview_only, …) reads from error-text.ts, so the Chinese page never shows the API's English message.
 */
export const rejectText = (code: string, fallback: string, rule?: string, endsAt?: string) =>
  code === "not_eligible" ? refusalText(rule)
  : code === "daily_limit_reached" && endsAt ? t(...dailyLimitWords(endsAt, Date.now()))
  : REJECT[code] ? t(...REJECT[code]!) : code ? errorText({ code, message: fallback }) : fallback;

export function countdown(ms: number): string {
  if (ms <= 0) return "00:00:00";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, "0")).join(":");
  return d ? `${d}${t("天", "d")} ${hms}` : hms;
}

export const campaignId = () => new URLSearchParams(location.search).get("id");

/**
 * A campaign link without `?t=` (typed, shortened, or as the README writes it: the campaign id alone is global) gets
 * the campaign's store written into the URL before anything asks the shop API, which reads the store from `t` (the
 * demo store otherwise): the visitor's session, views, claims and shares are then the campaign's brand's. Before, such
 * a page started a guest of the demo store and every claim by a buyer signed in at the brand was refused (403).
 */
export async function storeFromCampaign(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const id = q.get("id");
  if (q.get("t") || !id) return;
  const pre = document.getElementById("campaign-data")?.textContent;
  const slug: string | undefined = pre ? JSON.parse(pre)?.tenantSlug : (await getJson<{ tenantSlug?: string }>(campaignReadUrl(id)).catch(() => null))?.body?.tenantSlug;
  if (!slug) return;
  q.set("t", slug);
  history.replaceState(history.state, "", `${location.pathname}?${q}${location.hash}`);
  for (const a of document.querySelectorAll<HTMLAnchorElement>(".tabbar a")) a.search = `?t=${encodeURIComponent(slug)}`;
}
export { store };

const when = (iso: string) => new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** 活动规则: what every campaign page states — time, who may take part how often, what is delivered, how to pay. */
// A fixed validity in China days, as 我的卡券 and the order page show what was delivered (not the API's UTC dates).
function validityText(v: any, what = ""): string {
  const en = what ? `${what}valid` : "Validity:";
  return v.kind === "relative"
    ? t(`${what}权益有效期：发放后 ${v.days} 天内。`, `${en} ${v.days} days after issue.`)
    : t(`${what}权益有效期：${chinaDay(v.validFrom)} 至 ${chinaDay(v.validTo)}。`, `${en} ${chinaDay(v.validFrom)} to ${chinaDay(v.validTo)}.`);
}

export function campaignRules(c: any): string[] {
  const rules = [t(`活动时间：${when(c.startsAt)} – ${when(c.endsAt)}`, `Runs ${when(c.startsAt)} – ${when(c.endsAt)}`)];
  if (c.kind === "lottery") {
    rules.push(t(`每人每天免费抽奖 ${c.drawsPerDay} 次；整个活动每人最多中奖 ${c.perUserLimit} 次。`, `${c.drawsPerDay} free draws a day; at most ${c.perUserLimit} prizes per person.`));
    if (c.tasks?.length) rules.push(t("完成分享等任务可额外获得抽奖机会，但不是参与条件。", "Tasks such as sharing add draws; they are never required."));
    rules.push(t("中奖概率见下表并全程公示；奖品发放到“我的卡券”，可在有效期内使用。", "Odds are published below; prizes go to My vouchers."));
    for (const v of c.prizeValidity ?? []) {
      const name = c.prizes.find((p: any) => p.id === v.prizeId)?.name ?? v.prizeId;
      if (v.validity) rules.push(validityText(v.validity, `${name} `));
    }
    if (c.organiser?.name) rules.push(t(`主办方：${c.organiser.name}（联系方式：${c.organiser.contact}）`, `Organiser: ${c.organiser.name} (contact: ${c.organiser.contact})`));
    if (c.rules) rules.push(c.rules);
  } else {
    const daily = c.perUserDailyLimit ? t(`，每天限 ${c.perUserDailyLimit} 份`, `, ${c.perUserDailyLimit} a day`) : "";
    rules.push(t(`每人限 ${c.perUserLimit} 份${daily}；数量有限，先到先得。`, `${c.perUserLimit} per person${daily}; while stocks last.`));
    if (c.kind === "flash_sale") rules.push(t("抢到后生成待支付订单，请在 15 分钟内支付，超时自动取消并释放名额。", "A win becomes an order: pay within 15 minutes or it is cancelled."));
    else rules.push(t("领取后券放入“我的卡券”。", "Claimed coupons go to My vouchers."));
  }
  rules.push(...entryRules(c));
  const p = c.product;
  if (p?.validity) rules.push(validityText(p.validity));
  if (p?.scope) rules.push(t(`适用范围：${p.scope}`, `Scope: ${p.scope}`));
  if (p?.usageRules) rules.push(p.usageRules);
  return rules;
}

/** The claim's order (flash sale), retried briefly while the win is still becoming one. */
export async function claimOrder(campaignId: string, claimId: string) {
  for (let i = 0; i < 10; i++) {
    const res = await getJson(campaignUrl(campaignId, `/claims/${encodeURIComponent(claimId)}/order`));
    if (res.status !== 503) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
  return getJson(campaignUrl(campaignId, `/claims/${encodeURIComponent(claimId)}/order`));
}

/** Who may take part and the campaign-wide limits, as the rules list states them. */
export function entryRules(c: any): string[] {
  const out: string[] = [];
  if (c.entry === "phone") out.push(t("参与条件：需验证手机号（短信验证码登录）。", "Who: buyers with a verified phone number (sign in with a code)."));
  if (c.entry === "member") out.push(t("参与条件：仅限品牌会员，请从品牌 App 或官网进入。", "Who: the brand's members, from the brand's app or site."));
  if (c.minAccountAgeMinutes > 0) out.push(t(`新注册账号需满 ${c.minAccountAgeMinutes} 分钟后才能参与。`, `Accounts must be at least ${c.minAccountAgeMinutes} min old.`));
  const caps = [
    c.perIpLimit && t(`每个网络 ${c.perIpLimit} 份`, `${c.perIpLimit} per network`),
    c.perDeviceLimit && t(`每台设备 ${c.perDeviceLimit} 份`, `${c.perDeviceLimit} per device`),
    c.perPhoneLimit && t(`每个手机号 ${c.perPhoneLimit} 份`, `${c.perPhoneLimit} per phone number`),
  ].filter(Boolean);
  if (caps.length) out.push(t(`防刷限制：${caps.join("，")}。`, `Anti-abuse caps: ${caps.join(", ")}.`));
  out.push(...eligibilityLines(c.eligibility), ...eligibilityLines(c.product?.eligibility, ["券的领取资格", "Who may take this coupon"]));
  return out;
}

/**
 * An anonymous id for view tracking (/track) only. Limits never trust it: claims carry the worker-signed device
 * cookie instead (kq_dev_<store>).
 */
export function deviceId(): string {
  let id = localStorage.getItem("kq-device");
  if (!id) {
    id = randomUuid();
    localStorage.setItem("kq-device", id);
  }
  return id;
}

/**
 * A campaign page opened from a link without an id, or for a campaign that does not exist: the page says so and
 * points to the store's live campaigns, instead of a disabled button beside an empty countdown.
 */
export function showCampaignMissing(text: string) {
  const name = document.getElementById("name")!;
  name.textContent = text;
  const card = name.closest("article")!;
  for (const child of Array.from(card.children)) if (child !== name) (child as HTMLElement).hidden = true;
  for (const other of Array.from(document.querySelectorAll<HTMLElement>("main > section, main > p.links"))) other.hidden = true;
  const slug = new URLSearchParams(location.search).get("t");
  const link = document.createElement("a");
  link.href = `/campaigns/${slug ? `?t=${encodeURIComponent(slug)}` : ""}`;
  link.textContent = t("看看正在进行的活动 →", "See the live campaigns →");
  const note = document.createElement("p");
  note.className = "muted";
  note.append(t("请检查链接，或活动已下线。", "Check the link; the campaign may have been taken down. "), link);
  card.append(note);
}
