import { hmacSha256Hex, timingSafeEqual } from "./crypto";

/**
 * Stripe-style request signatures: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + rawBody)>`.
 * The timestamp window refuses replays of old requests; receivers also stay idempotent.
 * `rawBody` is the body as sent: its text, or its bytes when it is sent encoded (a gzipped batch is signed as the
 * gzip, so a receiver checks it before inflating anything). A text and its UTF-8 bytes have the same signature.
 */
export const SIGNATURE_TOLERANCE_S = 300;

const encoder = new TextEncoder();

function signedMessage(t: number, rawBody: string | Uint8Array): string | Uint8Array {
  if (typeof rawBody === "string") return `${t}.${rawBody}`;
  const prefix = encoder.encode(`${t}.`);
  const out = new Uint8Array(prefix.length + rawBody.length);
  out.set(prefix);
  out.set(rawBody, prefix.length);
  return out;
}

export async function signBody(secret: string, rawBody: string | Uint8Array, nowS = Math.floor(Date.now() / 1000)): Promise<string> {
  return `t=${nowS},v1=${await hmacSha256Hex(secret, signedMessage(nowS, rawBody))}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: "malformed" | "expired" | "mismatch" };

export async function verifyBody(
  secret: string,
  rawBody: string | Uint8Array,
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
  const expected = await hmacSha256Hex(secret, signedMessage(t, rawBody));
  return timingSafeEqual(expected, parts.v1) ? { ok: true } : { ok: false, reason: "mismatch" };
}
