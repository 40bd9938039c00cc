// Encryption at rest for card keys and coupon codes: AES-256-GCM with a key derived from a secret string,
// plus a keyed hash (HMAC) so duplicates and redemption look-ups never need to decrypt.
import { hmacSha256Hex } from "./crypto";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const aesKeys = new Map<string, Promise<CryptoKey>>();

function aesKey(secret: string): Promise<CryptoKey> {
  let key = aesKeys.get(secret);
  if (!key) {
    key = crypto.subtle
      .digest("SHA-256", encoder.encode(`kaquan-aes:${secret}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
    aesKeys.set(secret, key);
  }
  return key;
}

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `v1.` + base64url(iv(12) || ciphertext+tag). The version prefix leaves room for key rotation. */
export async function sealSecret(keySecret: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(keySecret), encoder.encode(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return `v1.${b64url(out)}`;
}

export async function openSecret(keySecret: string, sealed: string): Promise<string> {
  if (!sealed.startsWith("v1.")) throw new Error("unknown sealed format");
  const bytes = unb64url(sealed.slice(3));
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, await aesKey(keySecret), bytes.slice(12));
  return decoder.decode(pt);
}

/** Keyed hash of a normalised secret (trimmed); a tenant scope keeps equal keys of two tenants apart. */
export function secretHash(keySecret: string, tenantId: string, secret: string): Promise<string> {
  return hmacSha256Hex(`kaquan-hash:${keySecret}`, `${tenantId}\n${secret.trim()}`);
}

/** The keyed hash of the key in upper case (card_keys.fold_hash): equal for keys that differ only in letter case. */
export function foldHash(keySecret: string, tenantId: string, secret: string): Promise<string> {
  return hmacSha256Hex(`kaquan-fold:${keySecret}`, `${tenantId}\n${secret.trim().toUpperCase()}`);
}
