/**
 * The sandbox challenge: a proof-of-work puzzle. The server issues an HMAC-signed nonce with an expiry and a
 * difficulty D; the client finds a counter so that SHA-256(nonce ‖ counter) — the UTF-8 bytes of the nonce followed
 * by those of the decimal counter — starts with D zero bits. Pure (WebCrypto only): the worker verifies with it,
 * the campaign pages and the widget solve with it.
 */
import { hmacSha256Hex, timingSafeEqual } from "./crypto";
import { sha256Bytes } from "./sha256-js";

const encoder = new TextEncoder();

export interface PowPuzzle {
  /** Random, hex. */
  nonce: string;
  tenantId: string;
  /** What the challenge was issued for (Turnstile's cdata): the campaign id. */
  cdata: string;
  action: string;
  difficulty: number;
  issuedAt: number;
  /** Unix seconds. */
  expiresAt: number;
}

const b64url = (s: string) => btoa(unescape(encodeURIComponent(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s: string) => decodeURIComponent(escape(atob(s.replace(/-/g, "+").replace(/_/g, "/"))));

/** `pow1.<base64url JSON>.<HMAC hex>`: the puzzle the client solves, signed so it cannot pick an easier one. */
export async function signPuzzle(secret: string, p: PowPuzzle): Promise<string> {
  const body = b64url(JSON.stringify(p));
  return `pow1.${body}.${await hmacSha256Hex(secret, `pow|${body}`)}`;
}

export async function readPuzzle(secret: string, token: string): Promise<PowPuzzle | null> {
  const m = /^pow1\.([A-Za-z0-9_-]{10,800})\.([0-9a-f]{64})$/.exec(token);
  if (!m) return null;
  if (!timingSafeEqual(await hmacSha256Hex(secret, `pow|${m[1]}`), m[2]!)) return null;
  try {
    return JSON.parse(unb64url(m[1]!)) as PowPuzzle;
  } catch {
    return null;
  }
}

/** The puzzle's public fields, for a client that only holds the token (no secret needed to read them). */
export function puzzleFields(token: string): Pick<PowPuzzle, "nonce" | "difficulty"> | null {
  const m = /^pow1\.([A-Za-z0-9_-]{10,800})\./.exec(token);
  if (!m) return null;
  try {
    const p = JSON.parse(unb64url(m[1]!));
    return typeof p.nonce === "string" && Number.isInteger(p.difficulty) ? { nonce: p.nonce, difficulty: p.difficulty } : null;
  } catch {
    return null;
  }
}

export function leadingZeroBits(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

export async function powDigest(nonce: string, counter: number): Promise<Uint8Array> {
  const data = encoder.encode(nonce + String(counter));
  // No WebCrypto on a page that is not a secure context (a brand's http page embedding the widget).
  return crypto.subtle ? new Uint8Array(await crypto.subtle.digest("SHA-256", data)) : sha256Bytes(data);
}

export async function meetsDifficulty(nonce: string, counter: number, difficulty: number): Promise<boolean> {
  return leadingZeroBits(await powDigest(nonce, counter)) >= difficulty;
}

/**
 * Finds the counter. Hashes in batches of `batch` digests at once and yields to the event loop between batches, so
 * the page stays responsive; gives up after `maxTries` (a puzzle of difficulty D takes 2^D tries on average).
 */
export async function solvePow(nonce: string, difficulty: number, opts: { batch?: number; maxTries?: number } = {}): Promise<number> {
  const batch = opts.batch ?? 256;
  const maxTries = opts.maxTries ?? 2 ** Math.min(difficulty + 8, 30);
  for (let start = 0; start < maxTries; start += batch) {
    const digests = await Promise.all(Array.from({ length: batch }, (_, i) => powDigest(nonce, start + i)));
    const hit = digests.findIndex((d) => leadingZeroBits(d) >= difficulty);
    if (hit >= 0) return start + hit;
    await new Promise((r) => setTimeout(r, 0));
  }
  throw new Error("proof of work not found");
}

/** The answer a client sends back (Turnstile's `response`): the puzzle token and the counter it found. */
export const powResponse = (token: string, counter: number) => `${token}~${counter}`;

export function parsePowResponse(response: string): { token: string; counter: number } | null {
  const m = /^(pow1\.[A-Za-z0-9_.-]{10,1000})~(\d{1,10})$/.exec(response);
  return m ? { token: m[1]!, counter: Number(m[2]) } : null;
}
