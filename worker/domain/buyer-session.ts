import { hmacSha256Hex, timingSafeEqual } from "./crypto";

export const SESSION_TTL_S = 30 * 24 * 3600;

/** A buyer session token for a cookie: `<buyerId>.<expiry s>.<HMAC(tenant|buyer|expiry)>`. Stateless, tamper-evident. */
export async function signSession(secret: string, tenantId: string, buyerId: string, nowS = Math.floor(Date.now() / 1000)) {
  const exp = nowS + SESSION_TTL_S;
  return `${buyerId}.${exp}.${await hmacSha256Hex(secret, `buyer|${tenantId}|${buyerId}|${exp}`)}`;
}

export async function verifySession(secret: string, tenantId: string, token: string | undefined, nowS = Math.floor(Date.now() / 1000)) {
  const m = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(token ?? "");
  if (!m) return null;
  const [, buyerId, exp, sig] = m as unknown as [string, string, string, string];
  if (Number(exp) < nowS) return null;
  const expected = await hmacSha256Hex(secret, `buyer|${tenantId}|${buyerId}|${exp}`);
  return timingSafeEqual(expected, sig) ? buyerId : null;
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
