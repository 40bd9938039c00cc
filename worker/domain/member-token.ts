import { fromHex, hmacSha256Hex, timingSafeEqual } from "./crypto";

/**
 * Brand member tokens: a brand's server vouches for one of its members to the widget.
 *   kqm1.<base64url(JSON {"aud": <store slug>, "sub": <member id>, "exp": <unix s>})>.<base64url(HMAC-SHA256(secret, "kqm1." + payload))>
 * The secret is the tenant's member-token secret (POST /tenant/member-token-secret). See README "Brand member tokens".
 */
export const MEMBER_ID = /^[\w.@:-]{1,64}$/;

export type MemberTokenCheck =
  | { ok: true; memberId: string; exp: number }
  | { ok: false; code: "member_token_invalid" | "member_token_expired" | "member_token_audience"; message: string };

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
}

export async function memberTokenSignature(secret: string, payloadB64: string): Promise<string> {
  return b64url(fromHex(await hmacSha256Hex(secret, `kqm1.${payloadB64}`)));
}

/** Signs a token (tests and the console's "try it"; brands sign on their own servers). */
export async function signMemberToken(secret: string, aud: string, memberId: string, exp: number): Promise<string> {
  const payload = b64url(new TextEncoder().encode(JSON.stringify({ aud, sub: memberId, exp })));
  return `kqm1.${payload}.${await memberTokenSignature(secret, payload)}`;
}

const bad = (message: string): MemberTokenCheck => ({ ok: false, code: "member_token_invalid", message });

/** Checks a token against each of `secrets` (the current one, and the previous one during a rotation's overlap). */
export async function verifyMemberToken(secrets: string[], audience: string, token: string, nowS = Math.floor(Date.now() / 1000)): Promise<MemberTokenCheck> {
  const m = /^kqm1\.([A-Za-z0-9_-]{10,700})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return bad("Not a member token (kqm1.<payload>.<signature>)");
  let signed = false;
  for (const s of secrets) if (timingSafeEqual(await memberTokenSignature(s, m[1]!), m[2]!)) signed = true;
  if (!signed) return bad("The member token's signature does not match this brand's member-token secret");
  let claims: { aud?: unknown; sub?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(unb64url(m[1]!)) as typeof claims;
  } catch {
    return bad("The member token's payload is not JSON");
  }
  if (typeof claims.sub !== "string" || !MEMBER_ID.test(claims.sub)) return bad("sub must be the member id: 1-64 letters, digits and . @ : _ -");
  if (typeof claims.exp !== "number" || !Number.isInteger(claims.exp)) return bad("exp must be a unix time in seconds");
  if (claims.aud !== audience) return { ok: false, code: "member_token_audience", message: `The member token is for ${JSON.stringify(claims.aud)}, not this brand (${audience})` };
  if (claims.exp <= nowS) return { ok: false, code: "member_token_expired", message: "The member token has expired; have the brand's server sign a new one" };
  return { ok: true, memberId: claims.sub, exp: claims.exp };
}
