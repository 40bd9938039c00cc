/** Pure rules of targeted issuance and lifecycle messaging: holdout, quiet hours, the send decision, unsubscribe tokens. */
import type { Flow, OutreachSettings, UnsubscribeScope } from "../../schema/outreach";
import { hmacSha256Hex, timingSafeEqual } from "./crypto";
import { CHINA_OFFSET_MS } from "./china-time";

/** FNV-1a 32-bit: a stable hash, the same in every isolate and every run. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** In the control group: decided by (issuance, buyer) alone, so a resumed or repeated run decides the same. */
export const inHoldout = (issuanceId: string, buyerId: string, pct: number) => pct > 0 && fnv1a(`${issuanceId}:${buyerId}`) % 10_000 < pct * 100;


/** The local hour in Shanghai. */
export const shanghaiHour = (now: Date) => new Date(now.getTime() + CHINA_OFFSET_MS).getUTCHours();

/** Inside quiet hours → the next moment they end (ISO); outside → null. start = end means no quiet hours. */
export function quietUntil(now: Date, q: { start: number; end: number }): string | null {
  if (q.start === q.end) return null;
  const h = shanghaiHour(now);
  const quiet = q.start < q.end ? h >= q.start && h < q.end : h >= q.start || h < q.end;
  if (!quiet) return null;
  const local = new Date(now.getTime() + CHINA_OFFSET_MS);
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), q.end) - CHINA_OFFSET_MS;
  return new Date(end > now.getTime() ? end : end + 86_400_000).toISOString();
}

export interface PersonFacts {
  marketingConsent: boolean;
  unsubscribed: ReadonlySet<string>;
  sentLast7Days: number;
  hasPhone: boolean;
}
export type SendDecision =
  | { status: "suppressed"; reason: "no_consent" | "unsubscribed" | "frequency_cap" | "no_channel" | "coupon_unavailable"; channel: "sms" | "webhook" }
  | { status: "sent" | "deferred"; channel: "sms" | "webhook"; sendAfter: string | null };

/** What happens to one marketing message: consent, unsubscribe, the cap, then quiet hours (SMS only; deferred, never dropped). */
export function decideSend(flow: Flow, p: PersonFacts, s: OutreachSettings, now: Date): SendDecision {
  const channel = s.channel === "sms" && p.hasPhone ? "sms" : "webhook";
  if (!p.marketingConsent) return { status: "suppressed", reason: "no_consent", channel };
  if (p.unsubscribed.has("all") || p.unsubscribed.has(flow)) return { status: "suppressed", reason: "unsubscribed", channel };
  if (p.sentLast7Days >= s.capPer7Days) return { status: "suppressed", reason: "frequency_cap", channel };
  const until = channel === "sms" ? quietUntil(now, s.quietHours) : null;
  return until ? { status: "deferred", channel, sendAfter: until } : { status: "sent", channel, sendAfter: null };
}

const unsubMessage = (tenantId: string, buyerId: string, scope: string) => `unsub|${tenantId}|${buyerId}|${scope}`;

/** `<buyerId>.<scope>.<sig>`: the signature binds tenant, buyer and scope; 24 hex chars keep the SMS short. */
export async function unsubscribeToken(secret: string, tenantId: string, buyerId: string, scope: UnsubscribeScope): Promise<string> {
  return `${buyerId}.${scope}.${(await hmacSha256Hex(secret, unsubMessage(tenantId, buyerId, scope))).slice(0, 24)}`;
}

/** The buyer and scope a token names, or null when it was not signed for this tenant (tampered, truncated). */
export async function readUnsubscribeToken(secret: string, tenantId: string, token: string): Promise<{ buyerId: string; scope: string } | null> {
  const m = /^([A-Za-z0-9_-]{1,64})\.([a-z_]{1,20})\.([0-9a-f]{24})$/.exec(token);
  if (!m) return null;
  const want = (await hmacSha256Hex(secret, unsubMessage(tenantId, m[1]!, m[2]!))).slice(0, 24);
  return timingSafeEqual(want, m[3]!) ? { buyerId: m[1]!, scope: m[2]! } : null;
}

const FLOW_TEXT: Record<Flow, (x: { coupon?: string | null; date?: string | null }) => string> = {
  targeted: (x) => `送您一张「${x.coupon ?? "优惠券"}」，已放入我的卡券。`,
  expiry_reminder: (x) => `您的「${x.coupon ?? "优惠券"}」将于 ${x.date ?? "近日"} 到期，别忘了使用。`,
  revive: (x) => `您过期的「${x.coupon ?? "优惠券"}」已为您复活，${x.date ?? "近日"} 前有效。`,
  win_back: (x) => `好久不见！送您「${x.coupon ?? "优惠券"}」，欢迎回来。`,
  birthday: (x) => `生日快乐！${x.coupon ? `生日礼「${x.coupon}」已到账。` : "您的生日礼已到账。"}`,
};

/** The SMS text: brand, what happened, the unsubscribe link (every marketing SMS carries one). */
export const messageBody = (brand: string, flow: Flow, x: { coupon?: string | null; date?: string | null }, unsubscribeUrl: string) =>
  `【${brand}】${FLOW_TEXT[flow](x)}退订 ${unsubscribeUrl}`;
