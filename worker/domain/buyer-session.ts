import { hmacSha256Hex, timingSafeEqual } from "./crypto";

export const SESSION_TTL_S = 30 * 24 * 3600;

/**
 * What a session vouches for, so the claim path can apply a campaign's entry rules without reading D1: a verified
 * phone, a brand member, and when the account was created (seconds). `null` = a token from before these facts were
 * carried (the claim path looks the buyer up once for such a token, only when a rule needs it).
 */
export interface SessionFacts {
  phone: boolean;
  member: boolean;
  createdS: number;
}

export interface VerifiedSession {
  buyerId: string;
  facts: SessionFacts | null;
}

/** Facts of a buyer row (`kind`, `member_id`, `created_at`). */
export function factsOf(b: { kind: string; member_id?: string | null; created_at?: string }, nowS = Math.floor(Date.now() / 1000)): SessionFacts {
  const created = b.created_at ? Date.parse(b.created_at) : NaN;
  return { phone: b.kind === "phone", member: !!b.member_id, createdS: Number.isFinite(created) ? Math.floor(created / 1000) : nowS };
}

const flagsOf = (f: SessionFacts) => (f.phone ? "p" : "") + (f.member ? "m" : "") || "g";

/**
 * A buyer session token: `<buyerId>.<expiry s>.<flags><created s>.<HMAC(tenant|buyer|expiry|flags|created)>`,
 * flags `g` (guest), `p` (verified phone), `m` (brand member), `pm`. Stateless, tamper-evident. Without facts the
 * account counts as a guest created now (a new guest).
 */
export async function signSession(secret: string, tenantId: string, buyerId: string, nowS = Math.floor(Date.now() / 1000), facts?: SessionFacts) {
  const exp = nowS + SESSION_TTL_S;
  const f = facts ?? { phone: false, member: false, createdS: nowS };
  const tail = `${flagsOf(f)}${f.createdS}`;
  return `${buyerId}.${exp}.${tail}.${await hmacSha256Hex(secret, `buyer2|${tenantId}|${buyerId}|${exp}|${tail}`)}`;
}

const V2 = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.(g|p|m|pm)(\d{1,12})\.([0-9a-f]{64})$/;
const V1 = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([0-9a-f]{64})$/;

/** The buyer and the facts a session token carries; tokens of the first format (no facts) still verify. */
export async function verifySessionFacts(secret: string, tenantId: string, token: string | undefined | null, nowS = Math.floor(Date.now() / 1000)): Promise<VerifiedSession | null> {
  const v2 = V2.exec(token ?? "");
  if (v2) {
    const [, buyerId, exp, flags, created, sig] = v2 as unknown as [string, string, string, string, string, string];
    if (Number(exp) < nowS) return null;
    const expected = await hmacSha256Hex(secret, `buyer2|${tenantId}|${buyerId}|${exp}|${flags}${created}`);
    if (!timingSafeEqual(expected, sig)) return null;
    return { buyerId, facts: { phone: flags.includes("p"), member: flags.includes("m"), createdS: Number(created) } };
  }
  const m = V1.exec(token ?? "");
  if (!m) return null;
  const [, buyerId, exp, sig] = m as unknown as [string, string, string, string];
  if (Number(exp) < nowS) return null;
  const expected = await hmacSha256Hex(secret, `buyer|${tenantId}|${buyerId}|${exp}`);
  return timingSafeEqual(expected, sig) ? { buyerId, facts: null } : null;
}

export async function verifySession(secret: string, tenantId: string, token: string | undefined | null, nowS = Math.floor(Date.now() / 1000)) {
  return (await verifySessionFacts(secret, tenantId, token, nowS))?.buyerId ?? null;
}

/** Cookie names are per tenant so one browser can shop at two brands on one platform origin. */
export const sessionCookieName = (slug: string) => `kq_buyer_${slug.replace(/[^a-z0-9]/g, "_")}`;

export function maskPhone(phone: string) {
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

/** A uniformly random 6-digit code. */
export function otpCode(): string {
  for (;;) {
    const [n] = crypto.getRandomValues(new Uint32Array(1));
    if (n! < 4_294_000_000) return String(n! % 1_000_000).padStart(6, "0");
  }
}

/** The session token a request carries: `Authorization: Bearer` (the widget) or the store's cookie (own pages). */
export function sessionToken(headers: Headers, slug: string): string | undefined {
  const auth = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "");
  if (auth) return auth[1];
  const name = sessionCookieName(slug);
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}
