/**
 * kaquan embeddable campaign widget.
 *   <script src="https://<kaquan host>/widget.js" data-campaign="<campaign id>" async></script>
 * Renders a claim (flash sale / coupon) or draw (lottery) card inside a Shadow DOM right after the script tag,
 * talks to the kaquan API cross-origin (the brand must list this page's origin), and tells the host page what
 * happened with DOM CustomEvents on the <kaquan-campaign> element (they bubble):
 *   kaquan:ready {campaign}, kaquan:claimed {result}, kaquan:drawn {result}, kaquan:shared {url}, kaquan:error {code, message}.
 * Until it has rendered, and whenever it cannot run, the host sees a plain link to the campaign page, named by the
 * tag's optional data-name="<campaign name>" (the console's embed code carries it), so several widgets' links differ,
 * and by the campaign's current name once the API has answered (data-name goes stale when the campaign is renamed).
 *
 * Brand members: the brand's server signs a member token (README "Brand member tokens") and the page passes it as
 *   <script … data-member-token="kqm1.…"></script>   or   window.kaquan.setMemberToken("kqm1.…")
 * The widget exchanges it for a session bound to that member, so limits and rewards follow the member.
 *
 * Social growth (issue 18): the same one line shows a group buy, an assist activity or an invite programme instead
 *   <script src="…/widget.js" data-tenant="<store slug>" data-group-buy="<id>"></script>   (or data-assist / data-invite)
 * as a <kaquan-growth> card read from GET /api/v1/public/<slug>/group-buys|assists|invites/<id> (contract:
 * schema/growth-widget.ts) whose button opens the page to join on the kaquan host (events: kaquan:ready {mode, id},
 * kaquan:error {code, message}).
 *
 * What can I get here (issue 19): <script … data-tenant="<slug>" data-qualifications="<campaign id, optional>"></script>
 * lists the coupons the visitor may claim and use now (<kaquan-qualifications>; see mountQualifications).
 */
import { powResponse, solvePow } from "../../worker/domain/pow";
import { randomUuid } from "../src/lib/random-id";
import { REJECT } from "../src/lib/reject-text";
import { timeSpan } from "../src/lib/group-words";
import { chinaDay } from "../../worker/domain/china-time";
import type { WidgetAssist, WidgetGroupBuy, WidgetInvite } from "../../schema/growth-widget";

type Json = Record<string, any>;

const script = document.currentScript as HTMLScriptElement | null;

function emit(host: Element, name: string, detail: unknown) {
  host.dispatchEvent(new CustomEvent(`kaquan:${name}`, { detail, bubbles: true, composed: true }));
}

const zh = (navigator.language || "zh").toLowerCase().startsWith("zh");
const T = {
  loading: zh ? "加载中…" : "Loading…",
  claim: zh ? "立即领取" : "Claim now",
  buy: zh ? "立即抢购" : "Buy now",
  draw: zh ? "立即抽奖" : "Draw now",
  left: zh ? "剩余" : "Left",
  notStarted: zh ? "未开始" : "Not started",
  paused: zh ? "活动已暂停" : "Paused",
  ended: zh ? "已结束" : "Ended",
  claimed: zh ? "领取成功！已放入“我的卡券”" : "Claimed! It is in My vouchers.",
  won15: zh ? "抢到了！请在 15 分钟内支付" : "Got it! Pay within 15 minutes",
  pay: zh ? "去支付" : "Pay",
  myVouchers: zh ? "查看我的卡券" : "My vouchers",
  myOrder: zh ? "查看订单与卡密" : "My order and key",
  price: zh ? "秒杀价" : "Price",
  was: zh ? "原价" : "Was",
  face: zh ? "面值" : "Worth",
  awaitingPay: (until: string) => (zh ? `你已抢到，订单待支付${until ? `（${until} 前）` : ""}` : `You got one: the order awaits payment${until ? ` (until ${until})` : ""}`),
  taken: zh ? "已抢到" : "Got it",
  claimedAll: zh ? "已领取" : "Claimed",
  noDraws: REJECT.no_chances![zh ? 0 : 1],
  free: zh ? "免费领取" : "Free",
  won: zh ? "恭喜中奖：" : "You won: ",
  noPrize: zh ? "很遗憾，未中奖" : "No prize this time",
  odds: zh ? "中奖概率" : "Odds",
  rules: zh ? "活动规则" : "Rules",
  organiser: (name: string, contact: string) => (zh ? `主办方：${name}${contact ? `（联系方式：${contact}）` : ""}` : `Organiser: ${name}${contact ? ` (contact: ${contact})` : ""}`),
  validity: (prize: string, v: Json) =>
    v.kind === "relative"
      ? (zh ? `${prize}有效期：发放后 ${v.days} 天内` : `${prize}: valid ${v.days} days after issue`)
      : (zh ? `${prize}有效期：${chinaDay(v.validFrom)} 至 ${chinaDay(v.validTo)}` : `${prize}: valid ${chinaDay(v.validFrom)} to ${chinaDay(v.validTo)}`),
  commitment: zh ? "开奖前已公布种子承诺" : "The seed commitment was published before the draw",
  fullRules: zh ? "完整规则与开奖验证" : "Full rules and draw verification",
  verify: zh ? "验证本次抽奖" : "Verify the draw",
  view: zh ? "查看活动" : "View campaign",
  failed: zh ? "暂时无法参与，请稍后再试" : "Please try again later",
  checking: zh ? "正在进行安全验证…" : "Running a quick security check…",
  share: zh ? "分享给好友" : "Share with friends",
  copied: zh ? "链接已复制" : "Link copied",
  phoneRequired: zh ? "本活动需验证手机号：请在活动页验证后参与" : "Verify your phone number on the campaign page to take part",
  openPage: zh ? "去验证" : "Verify",
  member: zh ? "会员卡" : "Member card",
  growth: zh ? "成长值" : "growth",
  points: zh ? "积分" : "points",
  join: zh ? "加入会员" : "Join the membership",
  groupPrice: zh ? "拼团价" : "Group price",
  teamOf: (n: number, m: number) => (zh ? `${n} 人成团 · ${timeSpan(m, zh)}内` : `Teams of ${n} · within ${timeSpan(m, zh)}`),
  openTeams: (n: number) => (zh ? `${n} 个团正在拼` : `${n} teams open`),
  autoComplete: zh ? "到时未满员的团由商家补齐成团（非真实用户）" : "Teams not full in time are completed by the shop (not real members)",
  refundNote: zh ? "未成团自动全额退款" : "Full refund if the team does not fill",
  joinGroup: zh ? "去开团 / 参团" : "Start or join a team",
  assistGoal: (n: number, m: number) => (zh ? `邀请 ${n} 位好友助力，${timeSpan(m, zh)}内完成即得` : `Get ${n} friends to help within ${timeSpan(m, zh)} to get`),
  startAssist: zh ? "发起助力" : "Ask friends to help",
  inviteBoth: (a: string, b: string) => (zh ? `邀请好友首单：你得 ${a}，好友得 ${b}` : `Invite a friend: you get ${a}, they get ${b} on their first order`),
  invite: zh ? "去邀请" : "Invite friends",
  quals: zh ? "我能领 · 可用" : "For me here",
  canClaim: zh ? "我能领" : "Coupons I can claim",
  canUse: zh ? "可用券" : "Coupons I can use now",
  nothing: zh ? "暂时没有" : "Nothing right now",
  notEligible: {
    segment: zh ? "仅限品牌指定的会员人群" : "For customers the brand selected",
    new_user: zh ? "仅限新注册用户" : "New customers only",
    first_order: zh ? "仅限首单用户" : "First order only",
    tier: zh ? "仅限指定等级的会员" : "For members of certain tiers",
    birthday_month: zh ? "仅限生日当月的会员" : "Birthday month only",
    city: zh ? "仅限指定城市" : "Only in certain cities",
  } as Record<string, string>,
  couponTerms: (threshold: number | null, discount: number | null, face: number) =>
    discount != null && threshold ? (zh ? `满${yuan(threshold)}减${yuan(discount)}` : `${yuan(discount)} off ${yuan(threshold)}+`)
      : discount != null ? (zh ? `立减${yuan(discount)}` : `${yuan(discount)} off`) : (zh ? `面值${yuan(face)}` : `Worth ${yuan(face)}`),
};

/** The brand member token for this page: data-member-token on the script tag, or window.kaquan.setMemberToken(). */
let memberToken: string | undefined = script?.dataset.memberToken || undefined;
const w = window as unknown as { kaquan?: { setMemberToken(token: string | null): void } };
w.kaquan = {
  ...w.kaquan,
  setMemberToken(token: string | null) {
    memberToken = token || undefined;
  },
};

/** Share sheet and clipboard exist only in some browsers (and secure contexts). */
const nav: Partial<Navigator> = navigator;

/** First touch on the host page: its UTM parameters and a kaquan share code (?share=), sent when the session starts. */
function acquisition(campaignId: string): Json {
  const q = new URLSearchParams(location.search);
  const tag = (n: string) => { const v = q.get(n); return v && /^[\w.~:+-]{1,64}$/.test(v) ? v : undefined; };
  const share = q.get("share");
  return {
    utmSource: tag("utm_source"), utmMedium: tag("utm_medium"), utmCampaign: tag("utm_campaign"),
    share: share && /^[A-Za-z0-9]{8,24}$/.test(share) ? share : undefined, campaignId, deviceId: deviceId(),
  };
}

const STYLES = `:host{all:initial;display:block;font:15px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#1b1b1f}
.c{border:1px solid #e7e5e4;border-radius:12px;padding:14px;background:#fff;max-width:420px}
h3{margin:0 0 4px;font-size:17px}p{margin:4px 0;color:#5b5b66;font-size:13px}
button{all:unset;box-sizing:border-box;display:block;width:100%;text-align:center;margin-top:10px;padding:10px;border-radius:10px;background:#c2410c;color:#fff;font-weight:600;cursor:pointer;min-height:44px}
button.share{background:#78716c}button[disabled]{background:#a8a29e;cursor:default}.r{margin-top:8px;font-weight:600;color:#1b1b1f;overflow-wrap:anywhere}
ul{margin:6px 0 0;padding-left:18px;font-size:13px;color:#5b5b66}a{color:#c2410c}
.p{margin:6px 0;color:#c2410c;font-size:22px;font-weight:700}.p s,.p .f{color:#78716c;font-size:13px;font-weight:400;margin-left:6px}
a.pay{display:block;text-align:center;margin-top:8px;padding:10px;border-radius:10px;border:2px solid #c2410c;font-weight:600;text-decoration:none}
.m{margin-top:10px;padding:10px;border-radius:10px;background:#7c2d12;color:#fff;min-height:44px;box-sizing:border-box}.m p{color:#fff7ed}.m b{font-size:16px}
button.join{background:#fff;color:#7c2d12;margin-top:6px}
details.rules{margin-top:8px;font-size:13px;color:#5b5b66}details.rules summary{cursor:pointer;color:#1b1b1f;font-weight:600;min-height:24px}
details.rules ul{margin:4px 0}details.rules code{font:11px/1.4 ui-monospace,monospace;overflow-wrap:anywhere}details.rules a{display:inline-block;margin-top:4px;min-height:24px}`;

/** A refusal in the card's language: never the API's English message on a Chinese card. */
function refusal(e: { code?: string; message?: string }): string {
  const said = e.code ? REJECT[e.code] : undefined;
  return said ? (zh ? said[0] : said[1]) : zh ? T.failed : e.message || T.failed;
}

const yuan = (cents: number) => `¥${(cents / 100).toFixed(2)}`;

function el(tag: string, cls = "", text = ""): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

function deviceId(): string {
  const key = "kq:device";
  try {
    let id = localStorage.getItem(key);
    if (!id) {
      id = "d_" + randomUuid().replace(/-/g, "").slice(0, 20);
      localStorage.setItem(key, id);
    }
    return id;
  } catch {
    return "d_" + Math.random().toString(36).slice(2, 14);
  }
}

const passKey = (base: string) => `kq:pass:${base}`;

async function call(base: string, path: string, init: RequestInit & { token?: string; device?: string; extra?: Record<string, string> } = {}): Promise<Json> {
  const res = await fetch(base + "/api/v1" + path, {
    ...init,
    headers: {
      "content-type": "application/json",
      ...(init.device ? { "x-device-id": init.device } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.extra,
    },
  }).catch((e: Error) => {
    // The browser hides a CORS refusal behind "Failed to fetch": name the usual cause for the brand's developer.
    throw Object.assign(new Error(`cannot reach ${base} from ${location.origin} (allowedOrigins? ${e.message})`), { code: "unavailable" });
  });
  const pass = res.headers.get("x-kaquan-pass");
  if (pass) try { localStorage.setItem(passKey(base), pass); } catch {}
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body?.error?.message || res.statusText), { code: body?.error?.code || String(res.status), body, retryAfter: res.headers.get("retry-after") });
  return body;
}

/** Risk hints with a claim: the page's automation flag and the pass a solved challenge earned (if any). */
function riskHeaders(base: string): Record<string, string> {
  const h: Record<string, string> = { "x-kaquan-webdriver": navigator.webdriver ? "1" : "0" };
  try {
    const pass = localStorage.getItem(passKey(base));
    if (pass) h["x-kaquan-pass"] = pass;
  } catch {}
  return h;
}

/** A claim; a 403 with a challenge (suspicious traffic) is solved — proof of work with Web Crypto — and retried once. */
async function claimWithChallenge(base: string, path: string, token: string, device: string | undefined, onChallenge: () => void): Promise<Json> {
  const body = JSON.stringify({ requestId: randomUuid() });
  try {
    return await call(base, path, { method: "POST", token, device, body, extra: riskHeaders(base) });
  } catch (e: any) {
    const c = e?.body?.error?.challenge;
    if (e?.code !== "challenge_required" || c?.provider !== "sandbox_pow") throw e;
    onChallenge();
    const answer = powResponse(c.token, await solvePow(c.nonce, c.difficulty));
    return call(base, path, { method: "POST", token, device, body, extra: { ...riskHeaders(base), "x-kaquan-challenge": answer } });
  }
}

/** The worker-signed device token for this brand (from the session answer), kept in the page's storage. */
function storedDevice(base: string): string | undefined {
  try {
    return localStorage.getItem(`kq:device:${base}`) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The visitor's buyer session for this campaign's brand: third-party cookies do not reach the API from a brand's
 * page, so the signed token is kept in the page's own storage and sent as a Bearer header.
 */
function storedToken(base: string, campaignId: string): string | undefined {
  try {
    const s = JSON.parse(localStorage.getItem(`kq:session:${base}:${campaignId}`) || "null");
    return s && Date.parse(s.expiresAt) > Date.now() ? s.token : undefined;
  } catch {
    return undefined;
  }
}

/** One impression of the widget (keepalive: it survives the host page navigating away); never breaks the page. */
function impression(base: string, campaignId: string, tenant: string) {
  const token = storedToken(base, campaignId);
  fetch(`${base}/api/v1/track?campaign=${encodeURIComponent(campaignId)}`, {
    method: "POST", keepalive: true,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ tenant, deviceId: deviceId(), events: [{ type: "widget_impression", campaignId }] }),
  }).catch(() => undefined);
}

interface Session {
  token: string;
  expiresAt: string;
  /** The buyer the token signs (for their standing: what they already took). */
  userId?: string;
  /** The member token this session was exchanged for (a new one, or none, asks again). */
  member?: string;
}

/** The session any widget on this site started last: the next campaign's widget continues it (one visitor, one guest). */
const sharedKey = (base: string) => `kq:session:${base}`;

function readSession(key: string): Session | null {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

/**
 * Session starts on one page take turns (every widget script on the page shares this queue through window), so
 * widgets loading together do not each start a guest: the second finds the first's session and continues it.
 */
function session(base: string, campaignId: string): Promise<{ token: string; device?: string }> {
  const q = ((window as unknown as { __kqSessionQueue?: Record<string, Promise<unknown>> }).__kqSessionQueue ??= {});
  const next = (q[base] ?? Promise.resolve()).then(() => startSession(base, campaignId));
  q[base] = next.catch(() => undefined);
  return next;
}

/**
 * Forgets every session this site keeps for `base` that holds `token`: the API refused it (the visitor erased their
 * account on the store, the token was altered, the platform's secret changed). Kept, it would be sent on every tap
 * until it expired a month later, and each tap would only say 暂时无法参与.
 */
function forgetSession(base: string, token: string) {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (key && (key === sharedKey(base) || key.startsWith(`${sharedKey(base)}:`)) && readSession(key)?.token === token) localStorage.removeItem(key);
    }
  } catch {}
}

/** Marks every kept session holding `token` as due, so the next session() asks the API again, carrying it. */
function renewSession(base: string, token: string) {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      const s = key && (key === sharedKey(base) || key.startsWith(`${sharedKey(base)}:`)) ? readSession(key) : null;
      if (s?.token === token) localStorage.setItem(key!, JSON.stringify({ ...s, expiresAt: new Date(0).toISOString() }));
    }
  } catch {}
}

/**
 * `act` as this visitor; when the API refuses the session itself (401 unauthorized, not a refusal of the act), the
 * stored session is forgotten and `act` runs once more with a new one.
 */
async function asVisitor<R>(base: string, campaignId: string, act: (token: string, device: string | undefined) => Promise<R>): Promise<R> {
  const first = await session(base, campaignId);
  try {
    return await act(first.token, first.device);
  } catch (e: any) {
    if (e?.code === "unauthorized") forgetSession(base, first.token);
    // A phone-only campaign: the visitor may have signed in on the store since this token was signed (the 去验证
    // link), so the token is renewed (the API signs the account as it is now) and the act tried once more.
    else if (e?.code === "phone_required") renewSession(base, first.token);
    else throw e;
    const next = await session(base, campaignId);
    if (next.token === first.token) throw e;
    return act(next.token, next.device);
  }
}

async function startSession(base: string, campaignId: string): Promise<{ token: string; device?: string }> {
  const key = `kq:session:${base}:${campaignId}`;
  const stored = readSession(key);
  const device = storedDevice(base);
  const sameMember = (stored?.member || undefined) === memberToken;
  if (stored && sameMember && device && Date.parse(stored.expiresAt) > Date.now() + 60_000) return { token: stored.token, device };
  // The API keeps the buyer of a token it signed for this campaign's brand, and starts a guest for any other token.
  const carried = stored ?? readSession(sharedKey(base));
  const s = await call(base, `/public/campaigns/${encodeURIComponent(campaignId)}/session`, {
    method: "POST", token: carried?.token, device,
    body: JSON.stringify({ acquisition: acquisition(campaignId), ...(memberToken ? { memberToken } : {}) }),
  });
  try {
    const value = JSON.stringify({ token: s.token, expiresAt: s.expiresAt, userId: s.userId, member: memberToken } satisfies Session);
    localStorage.setItem(key, value);
    localStorage.setItem(sharedKey(base), value);
    localStorage.setItem(`kq:device:${base}`, s.deviceToken);
  } catch {}
  return { token: s.token, device: s.deviceToken };
}

/**
 * The brand member's card (tier, card number, growth, points) for a page that passed a member token, with a join
 * button until the member has joined. Space is reserved up front (no shift when it fills in).
 */
function memberStrip(base: string, campaignId: string): HTMLElement {
  const box = el("div", "m");
  // Announced when it fills in, but not a second role=status beside the claim's result.
  box.setAttribute("aria-live", "polite");
  box.setAttribute("aria-label", T.member);
  const path = `/public/campaigns/${encodeURIComponent(campaignId)}/member`;
  const render = (m: Json | null) => {
    box.replaceChildren();
    if (!m) {
      const join = el("button", "join", T.join) as HTMLButtonElement;
      join.addEventListener("click", async () => {
        join.disabled = true;
        try {
          render((await asVisitor(base, campaignId, (token, device) => call(base, `${path}/join`, { method: "POST", token, device }))).member);
        } catch (e: any) {
          box.append(el("p", "", refusal(e)));
          join.disabled = false;
        }
      });
      box.append(join);
      return;
    }
    box.append(el("b", "", `${T.member} · ${m.tier?.name ?? ""}`), el("p", "", `No. ${m.cardNo} · ${T.growth} ${m.growth} · ${T.points} ${m.pointsBalance}`));
    if (m.nextTier) box.append(el("p", "", `${m.nextTier.name}: ${m.nextTier.progressPercent}%`));
  };
  asVisitor(base, campaignId, (token, device) => call(base, path, { token, device }))
    .then((r) => render(r.member))
    .catch(() => box.remove());
  return box;
}

/**
 * 活动规则 for a lottery (a Chinese lottery discloses these before a draw): organiser and contact, the rules text,
 * each prize's validity, the seed commitment, and a link to the full page with the fairness proof. Collapsed under
 * the buttons, so the draw button stays where it is; built with the card, so nothing shifts when it fills in.
 */
function lotteryRules(base: string, campaign: Json): HTMLElement {
  const box = el("details", "rules");
  box.append(el("summary", "", T.rules));
  const ul = el("ul");
  if (campaign.organiser?.name) ul.append(el("li", "", T.organiser(campaign.organiser.name, campaign.organiser.contact || "")));
  if (campaign.rules) ul.append(el("li", "", campaign.rules));
  for (const v of (campaign.prizeValidity ?? []) as Json[]) {
    if (!v.validity) continue;
    const name = (campaign.prizes ?? []).find((p: Json) => p.id === v.prizeId)?.name ?? v.prizeId;
    ul.append(el("li", "", T.validity(name, v.validity)));
  }
  if (campaign.seedCommitment) {
    const li = el("li", "", `${T.commitment}${zh ? "：" : ": "}`);
    li.append(el("code", "", campaign.seedCommitment));
    ul.append(li);
  }
  const link = el("a", "full", T.fullRules) as HTMLAnchorElement;
  link.href = `${base}/campaigns/lottery/?t=${encodeURIComponent(campaign.tenantSlug || "")}&id=${encodeURIComponent(campaign.id)}`;
  link.target = "_blank";
  link.rel = "noopener";
  box.append(ul, link);
  return box;
}

/**
 * The plain link shown until the card renders, and in its place when it cannot (origin not allowed, API down). Several
 * widgets on one page must not all read the same: the link names its campaign from the tag's own data-name (the
 * brand's page says it; nothing is asked of the API, which refuses an origin the brand did not allow), and unnamed
 * links of the same wording are numbered in page order, so a visitor and a screen reader can tell them apart.
 * data-name is what the embed code said when it was copied: the returned function names the link again with the name
 * the API answers now, so a campaign renamed since reads right if the card then fails.
 */
function fallbackLink(s: HTMLScriptElement, host: HTMLElement, href: string, label: string): (name?: string) => void {
  const a = document.createElement("a");
  a.href = href;
  const say = (name?: string) => (a.textContent = name ? `${label}${zh ? "：" : ": "}${name}` : label);
  const name = s.dataset.name?.trim();
  say(name);
  // A finger-sized target whatever the host page's own link styles (it is in the page's DOM, not the shadow root).
  a.style.cssText = "display:inline-block;min-height:44px;line-height:44px;padding:0 8px";
  host.appendChild(a);
  s.after(host);
  const rename = (current?: string) => {
    if (!current) return;
    delete a.dataset.kqLink;
    say(current);
  };
  if (name) return rename;
  a.dataset.kqLink = label;
  const same = [...document.querySelectorAll<HTMLElement>("a[data-kq-link]")].filter((x) => x.dataset.kqLink === label);
  if (same.length > 1) same.forEach((x, i) => (x.textContent = `${label} ${i + 1}`));
  return rename;
}

/** A shadow root that shows the host's plain link (its slot) until the card replaces it: the first paint is not blank. */
function shadowWithLink(host: HTMLElement): ShadowRoot {
  const root = host.attachShadow({ mode: "open" });
  root.append(document.createElement("slot"));
  return root;
}

function mount(s: HTMLScriptElement) {
  const campaignId = s.dataset.campaign || "";
  const base = new URL(s.src).origin;
  const pageUrl = `${base}/campaigns/?id=${encodeURIComponent(campaignId)}`;
  const host = document.createElement("kaquan-campaign");
  host.setAttribute("data-campaign", campaignId);
  const rename = fallbackLink(s, host, pageUrl, T.view);
  if (!campaignId || !host.attachShadow || !window.fetch) return;

  const root = shadowWithLink(host);

  (async () => {
    const id = encodeURIComponent(campaignId);
    const campaign = await call(base, `/public/campaigns/${id}`);
    rename(campaign.name);
    const live = await call(base, `/public/campaigns/${id}/live`);
    const style = el("style");
    style.textContent = STYLES;
    const card = el("div", "c");
    card.append(el("h3", "", campaign.name));
    if (campaign.description) card.append(el("p", "", campaign.description));
    if (campaign.kind !== "lottery") {
      const price = el("p", "p", campaign.kind === "flash_sale" ? `${T.price} ${yuan(campaign.priceCents)}` : T.free);
      const orig = campaign.product ? (campaign.kind === "flash_sale" ? campaign.product.priceCents : campaign.product.faceValueCents) : 0;
      if (orig > campaign.priceCents) price.append(campaign.kind === "flash_sale" ? el("s", "", `${T.was} ${yuan(orig)}`) : el("span", "f", `${T.face} ${yuan(orig)}`));
      card.append(price);
    }
    const left = el("p", "", "");
    const showLeft = (l: Json) => (left.textContent = `${T.left} ${Object.values(l.remaining as Record<string, number>).reduce((a, b) => a + b, 0)}`);
    showLeft(live);
    card.append(left);
    // The count follows the sale (the shards report it every moment) while the visitor looks at it.
    if (live.phase === "live") {
      setInterval(() => {
        if (document.visibilityState === "visible") call(base, `/public/campaigns/${id}/live`).then(showLeft, () => undefined);
      }, 4000);
    }
    if (campaign.kind === "lottery" && Array.isArray(campaign.odds)) {
      const ul = el("ul");
      for (const o of campaign.odds) ul.append(el("li", "", `${o.name}: ${(o.probability * 100).toFixed(2)}%`));
      card.append(el("p", "", T.odds), ul);
    }
    const button = el("button", "go", campaign.kind === "lottery" ? T.draw : campaign.kind === "flash_sale" ? T.buy : T.claim) as HTMLButtonElement;
    const result = el("div", "r");
    result.setAttribute("role", "status");
    if (live.phase !== "live" || campaign.paused) {
      button.disabled = true;
      button.textContent = live.phase === "scheduled" ? T.notStarted : live.phase === "live" ? T.paused : T.ended;
    }
    // Nothing more to take here (today): the button says so and stays off, so a tap cannot only bring a refusal.
    let finished = false;
    const finish = (label: string) => {
      finished = true;
      button.disabled = true;
      button.textContent = label;
    };
    const FINAL: Record<string, string> = {
      limit_reached: campaign.kind === "flash_sale" ? T.taken : T.claimedAll, daily_limit_reached: T.claimedAll, no_chances: T.noDraws,
      sold_out: zh ? REJECT.sold_out![0] : REJECT.sold_out![1], ended: T.ended,
    };
    /** A link on the kaquan host (new tab); the session token in the fragment lets that page continue as this visitor. */
    const hostLink = (label: string, path: string, token: string) => {
      const link = el("a", "pay", label) as HTMLAnchorElement;
      link.href = `${base}${path}${path.includes("?") ? "&" : "?"}t=${encodeURIComponent(campaign.tenantSlug || "")}#s=${encodeURIComponent(token)}`;
      link.target = "_blank";
      link.rel = "noopener";
      return link;
    };
    /** The won order awaiting payment, with the link to pay it (on the kaquan host; the token lets that page continue). */
    const showPay = (order: Json, token: string, text: string) => {
      result.textContent = text;
      result.append(hostLink(`${T.pay} ${yuan(order.amountCents)}`, `/shop/order/?o=${encodeURIComponent(order.id)}&pay=1`, token));
    };
    const until = (order: Json) => (order.reservedUntil ? new Date(order.reservedUntil).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" }) : "");
    // A visitor coming back (a reload, another day): what they already took, and a won order still to pay. Only with a
    // session this site already holds: looking does not start one.
    const known = readSession(`kq:session:${base}:${campaignId}`) ?? readSession(sharedKey(base));
    if (live.phase === "live" && known?.userId && Date.parse(known.expiresAt) > Date.now()) {
      (async () => {
        const st = await call(base, `/public/campaigns/${id}/users/${encodeURIComponent(known.userId!)}`, { token: known.token });
        // What they got stays one tap away after a reload: the coupon or prize in 我的卡券.
        if (campaign.kind === "lottery" ? st.wins > 0 : campaign.kind === "coupon_claim" && st.claimedTotal > 0) result.append(hostLink(T.myVouchers, "/shop/vouchers/", known.token));
        if (campaign.kind === "lottery") return void (st.drawsLeftToday <= 0 && finish(T.noDraws));
        if (st.claimedTotal >= campaign.perUserLimit) finish(FINAL.limit_reached!);
        else if (campaign.perUserDailyLimit && st.claimedToday >= campaign.perUserDailyLimit) finish(T.claimedAll);
        // The latest unit not given back; its order is asked for by the claim (made now if the outbox has not yet).
        const won = campaign.kind === "flash_sale" ? (st.claims as Json[]).find((x) => x.status !== "failed") : undefined;
        if (!won) return;
        const { order } = await call(base, `/public/campaigns/${id}/claims/${encodeURIComponent(won.claimId)}/order`, { token: known.token });
        if (order.status === "created") showPay(order, known.token, T.awaitingPay(until(order)));
        else if (order.status === "paid" || order.status === "delivered") result.append(hostLink(T.myOrder, `/shop/order/?o=${encodeURIComponent(order.id)}`, known.token));
      })().catch(() => undefined);
    }
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        let token = "";
        const r = await asVisitor(base, campaignId, (t, device) => {
          token = t;
          return claimWithChallenge(base, `/public/campaigns/${id}/claims`, t, device, () => (result.textContent = T.checking));
        });
        result.textContent = r.outcome === "won" ? T.won + r.prizeName : r.outcome === "no_prize" ? T.noPrize : T.claimed;
        // Each draw's proof, checked on the kaquan host's /verify page once the seed is revealed (as the lottery page links it).
        const user = readSession(`kq:session:${base}:${campaignId}`)?.userId;
        const rc = r.receipt;
        if (r.proof && user) result.append(hostLink(T.verify, `/verify/?${new URLSearchParams({ draw: campaign.id, user, n: r.nonce, proof: r.proof, b: r.beacon || "", claim: r.claimId, r: rc ? `${rc.shard}:${rc.seq}:${rc.hash}` : "" })}`, token));
        if (campaign.kind === "flash_sale") {
          // A win is an order awaiting payment: say so, and link to the cashier (on the kaquan host; the session
          // token in the fragment lets that page show the order and, after payment, the key).
          result.textContent = T.won15;
          const { order } = await call(base, `/public/campaigns/${id}/claims/${encodeURIComponent(r.claimId)}/order`, { token });
          showPay(order, token, T.won15);
          r.orderId = order.id;
        } else if (r.outcome !== "no_prize") {
          // The coupon or prize is in this visitor's 我的卡券 on the kaquan host: the fragment's token lets that page
          // continue as this visitor (or hand the voucher to the buyer already signed in there).
          result.append(" ", hostLink(T.myVouchers, "/shop/vouchers/", token));
        }
        if (r.remainingToday <= 0) finish(campaign.kind === "lottery" ? T.noDraws : FINAL.limit_reached!);
        emit(host, campaign.kind === "lottery" ? "drawn" : "claimed", r);
      } catch (e: any) {
        result.textContent = refusal(e);
        if (FINAL[e.code]) finish(FINAL[e.code]!);
        // Entry rules: say what to do instead of the API's message (the phone sign-in lives on the campaign page).
        if (e.code === "not_eligible") result.textContent = T.notEligible[e.body?.error?.issues?.[0]?.code] || refusal(e);
        if (e.code === "phone_required") {
          result.textContent = T.phoneRequired;
          // The sign-in happens there as this visitor (the session in the fragment): back here, the widget continues
          // as the signed-in account.
          const kept = readSession(`kq:session:${base}:${campaignId}`);
          if (kept) result.append(hostLink(T.openPage, `/campaigns/${campaign.kind === "lottery" ? "lottery" : "flash"}/?id=${id}`, kept.token));
        }
        emit(host, "error", { code: e.code || "network", message: e.message });
      } finally {
        if (!finished) button.disabled = false;
      }
    });
    const share = el("button", "share", T.share) as HTMLButtonElement;
    // What sharing says goes on its own line: the claim's result (a won order's 去支付 link) stays where it is.
    const shareNote = el("div", "r");
    shareNote.setAttribute("aria-live", "polite");
    share.addEventListener("click", async () => {
      try {
        const r = await asVisitor(base, campaignId, (token, device) => call(base, `/public/campaigns/${id}/shares`, {
          method: "POST", token, device, body: JSON.stringify({ channel: nav.share ? "system_share" : "copy_link" }),
        }));
        const url = new URL(r.url, base).href;
        if (nav.share) await nav.share({ title: campaign.name, url }).catch(() => undefined);
        else {
          await navigator.clipboard?.writeText(url).catch(() => undefined);
          shareNote.textContent = `${T.copied}: ${url}`;
        }
        // A lottery's optional 分享 task: sharing here earns the extra draw its rules promise, as on the campaign page.
        if (campaign.kind === "lottery" && (campaign.tasks as Json[] | undefined)?.some((t) => t.id === "share")) {
          const done = await asVisitor(base, campaignId, (token, device) => call(base, `/public/campaigns/${id}/tasks/share`, {
            method: "POST", token, device, body: "{}",
          })).catch(() => null);
          if (done && done.drawsLeftToday > 0) {
            finished = false;
            button.disabled = false;
            button.textContent = T.draw;
          }
        }
        emit(host, "shared", { url });
      } catch (e: any) {
        shareNote.textContent = refusal(e);
      }
    });
    card.append(button, share, result, shareNote);
    if (campaign.kind === "lottery") card.append(lotteryRules(base, campaign));
    if (memberToken) card.append(memberStrip(base, campaignId));
    root.replaceChildren(style, card);
    impression(base, campaignId, campaign.tenantSlug || "");
    emit(host, "ready", { campaign: { id: campaign.id, kind: campaign.kind, name: campaign.name } });
  })().catch((e: any) => {
    // Leave the plain link in place (a shadow root without a slot hides light DOM, so drop the shadow content).
    root.replaceChildren(document.createElement("slot"));
    emit(host, "error", { code: e?.code || "unavailable", message: e?.message || String(e) });
  });
}

type GrowthMode = "groupBuy" | "assist" | "invite";
const GROWTH_PATHS: Record<GrowthMode, [api: string, page: string]> = { groupBuy: ["group-buys", "group"], assist: ["assists", "assist"], invite: ["invites", "invite"] };

/** A group buy, assist activity or invite programme card (data-group-buy / data-assist / data-invite + data-tenant). */
function mountGrowth(s: HTMLScriptElement, mode: GrowthMode) {
  const id = s.dataset[mode] || "";
  const slug = s.dataset.tenant || "";
  const base = new URL(s.src).origin;
  const [apiPath, page] = GROWTH_PATHS[mode];
  const pageUrl = (url?: string) => new URL(url || `/shop/${page}/?t=${encodeURIComponent(slug)}&id=${encodeURIComponent(id)}`, base).href;
  const host = document.createElement("kaquan-growth");
  host.setAttribute("data-mode", mode);
  // It says what the page offers (its card's own button words), not only 查看活动.
  const rename = fallbackLink(s, host, pageUrl(), mode === "groupBuy" ? T.joinGroup : mode === "assist" ? T.startAssist : T.invite);
  if (!id || !slug || !host.attachShadow || !window.fetch) return;
  const root = shadowWithLink(host);
  const cta = (text: string, url?: string) => {
    const a = el("a", "pay", text) as HTMLAnchorElement;
    a.href = pageUrl(url);
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  };
  (async () => {
    const d = await call(base, `/public/${encodeURIComponent(slug)}/${apiPath}/${encodeURIComponent(id)}`);
    rename(d.name);
    const style = el("style");
    style.textContent = STYLES;
    const card = el("div", "c");
    card.append(el("h3", "", d.name));
    if (mode === "groupBuy") {
      const g = d as WidgetGroupBuy;
      const price = el("p", "p", `${T.groupPrice} ${yuan(g.groupPriceCents)}`);
      if (g.priceCents > g.groupPriceCents) price.append(el("s", "", `${T.was} ${yuan(g.priceCents)}`));
      card.append(price, el("p", "", T.teamOf(g.size, g.teamMinutes)), el("p", "", T.refundNote));
      if (g.openTeams) card.append(el("p", "", T.openTeams(g.openTeams)));
      if (g.autoComplete) card.append(el("p", "", T.autoComplete));
      card.append(cta(T.joinGroup, g.url));
    } else if (mode === "assist") {
      const a = d as WidgetAssist;
      card.append(el("p", "", `${T.assistGoal(a.goal, a.minutes)}：${a.reward}`), cta(T.startAssist, a.url));
    } else {
      const v = d as WidgetInvite;
      card.append(el("p", "", T.inviteBoth(v.inviterReward, v.inviteeReward)), cta(T.invite, v.url));
    }
    root.replaceChildren(style, card);
    emit(host, "ready", { mode, id });
  })().catch((e: any) => {
    root.replaceChildren(document.createElement("slot"));
    emit(host, "error", { code: e?.code || "unavailable", message: e?.message || String(e) });
  });
}

/**
 * 我能领 / 可用 (issue 19): data-tenant="<slug>" data-qualifications["=<campaign id>"]. With a campaign id (and a
 * member token if the page has one) the widget asks as that campaign's session, so the list is the member's own;
 * without one it lists what is open to everyone. Read from GET /api/v1/public/<slug>/qualifications.
 */
function mountQualifications(s: HTMLScriptElement) {
  const slug = s.dataset.tenant || "";
  const campaignId = s.dataset.qualifications || "";
  const base = new URL(s.src).origin;
  const host = document.createElement("kaquan-qualifications");
  fallbackLink(s, host, new URL(`/shop/member/?t=${encodeURIComponent(slug)}`, base).href, T.quals);
  if (!slug || !host.attachShadow || !window.fetch) return;
  const root = shadowWithLink(host);
  (async () => {
    const q = campaignId
      ? await asVisitor(base, campaignId, (token) => call(base, `/public/${encodeURIComponent(slug)}/qualifications`, { token }))
      : await call(base, `/public/${encodeURIComponent(slug)}/qualifications`);
    const style = el("style");
    style.textContent = STYLES;
    const card = el("div", "c");
    card.append(el("h3", "", T.quals));
    const link = (text: string, url: string) => {
      const a = el("a", "", text) as HTMLAnchorElement;
      a.href = new URL(url, base).href;
      a.target = "_blank";
      a.rel = "noopener";
      return a;
    };
    const list = (items: HTMLElement[]) => {
      const ul = el("ul");
      ul.append(...(items.length ? items : [el("li", "", T.nothing)]));
      return ul;
    };
    card.append(el("p", "", T.canClaim), list(q.couponClaims.map((c: Json) => { const li = el("li"); li.append(link(c.name, c.url)); return li; })));
    card.append(el("p", "", T.canUse), list(q.coupons.map((c: Json) => el("li", "", `${c.title} · ${T.couponTerms(c.thresholdCents, c.discountCents, c.faceValueCents)}`))));
    const refused = q.campaigns.filter((c: Json) => !c.eligible);
    if (refused.length) card.append(list(refused.map((c: Json) => { const li = el("li"); li.append(link(c.name, c.url), ` · ${T.notEligible[c.refusal?.rule] || ""}`); return li; })));
    root.replaceChildren(style, card);
    emit(host, "ready", { mode: "qualifications", couponClaims: q.couponClaims.length, coupons: q.coupons.length });
  })().catch((e: any) => {
    root.replaceChildren(document.createElement("slot"));
    emit(host, "error", { code: e?.code || "unavailable", message: e?.message || String(e) });
  });
}

const growthMode = (s: HTMLScriptElement): GrowthMode | null => (s.dataset.groupBuy ? "groupBuy" : s.dataset.assist ? "assist" : s.dataset.invite ? "invite" : null);
const mountAny = (s: HTMLScriptElement) => {
  const mode = growthMode(s);
  if (s.hasAttribute("data-qualifications")) mountQualifications(s);
  else if (mode) mountGrowth(s, mode);
  else mount(s);
};

try {
  if (script) mountAny(script);
  else for (const s of document.querySelectorAll<HTMLScriptElement>("script[src*='widget.js']:is([data-campaign],[data-group-buy],[data-assist],[data-invite],[data-qualifications])")) mountAny(s);
} catch {
  /* never break the host page */
}
export {};
