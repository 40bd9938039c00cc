import { hmacSha256Hex, timingSafeEqual } from "./crypto";

/**
 * Stripe-style request signatures: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + rawBody)>`.
 * The timestamp window refuses replays of old requests; receivers also stay idempotent.
 */
export const SIGNATURE_TOLERANCE_S = 300;

export async function signBody(secret: string, rawBody: string, nowS = Math.floor(Date.now() / 1000)): Promise<string> {
  return `t=${nowS},v1=${await hmacSha256Hex(secret, `${nowS}.${rawBody}`)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: "malformed" | "expired" | "mismatch" };

export async function verifyBody(
  secret: string,
  rawBody: string,
  header: string | null | undefined,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = SIGNATURE_TOLERANCE_S,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "malformed" };
  const parts = Object.fromEntries(
    header.split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return { ok: false, reason: "malformed" };
  if (Math.abs(nowS - t) > toleranceS) return { ok: false, reason: "expired" };
  const expected = await hmacSha256Hex(secret, `${t}.${rawBody}`);
  return timingSafeEqual(expected, parts.v1) ? { ok: true } : { ok: false, reason: "mismatch" };
}
