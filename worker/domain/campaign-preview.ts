import { hmacSha256Hex, timingSafeEqual } from "./crypto";

/** How long an operator's preview link works. */
export const PREVIEW_TTL_S = 30 * 60;

/**
 * A preview token: `<expiry unix s>.<hex HMAC-SHA256(secret, "preview:<campaignId>:<expiry>")>`. It only changes what
 * the public read shows (the page as it will look once live); claims carrying it are refused, so no one can use a
 * leaked link to claim early.
 */
export async function signPreview(secret: string, campaignId: string, nowS = Math.floor(Date.now() / 1000)) {
  const exp = nowS + PREVIEW_TTL_S;
  return { token: `${exp}.${await hmacSha256Hex(secret, `preview:${campaignId}:${exp}`)}`, expiresAt: new Date(exp * 1000).toISOString() };
}

export async function verifyPreview(secret: string, campaignId: string, token: string | null | undefined, nowS = Math.floor(Date.now() / 1000)) {
  const m = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(token ?? "");
  if (!m || Number(m[1]) < nowS) return false;
  return timingSafeEqual(await hmacSha256Hex(secret, `preview:${campaignId}:${m[1]}`), m[2]!);
}
