import { hmacSha256Hex, timingSafeEqual } from "./crypto";

/** How long a solved challenge lets the session through: a normal visitor is challenged at most once in that time. */
export const PASS_TTL_S = 30 * 60;

/** `kqp1.<buyerId>.<expiry s>.<HMAC(tenant|buyer|expiry)>`: a short-lived pass bound to one buyer of one tenant. */
export async function signPass(secret: string, tenantId: string, buyerId: string, nowS = Math.floor(Date.now() / 1000)): Promise<string> {
  const exp = nowS + PASS_TTL_S;
  return `kqp1.${buyerId}.${exp}.${await hmacSha256Hex(secret, `pass|${tenantId}|${buyerId}|${exp}`)}`;
}

export async function verifyPass(secret: string, tenantId: string, buyerId: string, pass: string | null, nowS = Math.floor(Date.now() / 1000)): Promise<boolean> {
  const m = /^kqp1\.([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(pass ?? "");
  if (!m || m[1] !== buyerId || Number(m[2]) < nowS) return false;
  return timingSafeEqual(await hmacSha256Hex(secret, `pass|${tenantId}|${buyerId}|${m[2]}`), m[3]!);
}
