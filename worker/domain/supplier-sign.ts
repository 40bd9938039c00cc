/**
 * Request signatures in a supplier's own scheme (the worker signs calls and verifies callbacks; the supplier sandbox
 * does the reverse). Every scheme carries a timestamp (±SIGN_TOLERANCE_S) and a one-time value the receiver remembers
 * to refuse replays:
 * - kaquan_v1: JSON body, `x-supplier-signature: t=<s>,v1=<hex HMAC-SHA256(secret, t.body)>` (the sandbox default).
 * - sorted_md5 / sorted_hmac_sha256: the common 直充 form scheme. Params app_id, timestamp, nonce_str, sign_type and
 *   the business fields; empty values and `sign` left out, sorted by key (ASCII), joined `k=v&…`, then `&key=<secret>`;
 *   sign = uppercase hex MD5 of that string, or of HMAC-SHA256(secret, it). Form body (POST) or query string (GET).
 * - hmac_header: JSON body; headers X-App-Id, X-Timestamp, X-Nonce, X-Signature = base64 HMAC-SHA256(secret,
 *   METHOD \n path?query \n timestamp \n nonce \n hex SHA-256(body)).
 */
import { hmacSha256Hex, sha256Hex, timingSafeEqual, fromHex, randomToken } from "./crypto";
import { md5Hex } from "./md5";
import { signBody, verifyBody } from "./signature";

export const SUPPLIER_SCHEMES = ["kaquan_v1", "sorted_md5", "sorted_hmac_sha256", "hmac_header"] as const;
export type SupplierScheme = (typeof SUPPLIER_SCHEMES)[number];
export interface SupplierCredentials {
  scheme: SupplierScheme;
  appId: string | null;
  secret: string;
}
export const SIGN_TOLERANCE_S = 300;
export type Params = Record<string, string | number>;
export interface SignedRequest {
  /** Path with any query string. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}
/** nonce: the one-time value to remember (null: a kaquan_v1 request without a body, checked by timestamp alone). */
export type Verified = { ok: true; params: Record<string, unknown>; nonce: string | null } | { ok: false; reason: "malformed" | "expired" | "mismatch" };
/** What a receiver sees of an incoming request. */
export interface IncomingRequest {
  method: string;
  path: string;
  header: (name: string) => string | null | undefined;
  body: string;
}

const ENVELOPE = new Set(["app_id", "timestamp", "nonce_str", "sign_type", "sign"]);

/** The string signed by the sorted-params schemes. */
export function sortedSignString(params: Record<string, string>, secret: string): string {
  const pairs = Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== "" && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${params[k]}`);
  return `${pairs.join("&")}&key=${secret}`;
}

export async function sortedSign(params: Record<string, string>, secret: string, type: "MD5" | "HMAC-SHA256"): Promise<string> {
  const s = sortedSignString(params, secret);
  return (type === "MD5" ? md5Hex(s) : await hmacSha256Hex(secret, s)).toUpperCase();
}

function b64(hex: string): string {
  let s = "";
  for (const b of fromHex(hex)) s += String.fromCharCode(b);
  return btoa(s);
}

export async function headerSign(secret: string, method: string, path: string, timestamp: string, nonce: string, body: string): Promise<string> {
  return b64(await hmacSha256Hex(secret, [method.toUpperCase(), path, timestamp, nonce, await sha256Hex(body)].join("\n")));
}

const withQuery = (path: string, query: string) => `${path}${path.includes("?") ? "&" : "?"}${query}`;
const strings = (p: Params) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));

/** Signs an outgoing call (or callback) with these credentials. `params`: a GET's query parameters (null: none), a POST's body. */
export async function signRequest(
  creds: SupplierCredentials, method: "GET" | "POST", path: string, params: Params | null,
  nowS = Math.floor(Date.now() / 1000), nonce = randomToken(16),
): Promise<SignedRequest> {
  const get = method === "GET";
  if (creds.scheme === "sorted_md5" || creds.scheme === "sorted_hmac_sha256") {
    const signType = creds.scheme === "sorted_md5" ? "MD5" : "HMAC-SHA256";
    const all: Record<string, string> = { ...strings(params ?? {}), app_id: creds.appId ?? "", timestamp: String(nowS), nonce_str: nonce, sign_type: signType };
    const form = new URLSearchParams({ ...all, sign: await sortedSign(all, creds.secret, signType) }).toString();
    return get
      ? { path: withQuery(path, form), headers: {}, body: undefined }
      : { path, headers: { "content-type": "application/x-www-form-urlencoded" }, body: form };
  }
  // A GET's parameters ride in the query string, which hmac_header signs with the path (kaquan_v1 signs the body only).
  if (get && params) path = withQuery(path, new URLSearchParams(strings(params)).toString());
  const body = get ? "" : JSON.stringify(params ?? {});
  const headers: Record<string, string> = get ? {} : { "content-type": "application/json" };
  if (creds.scheme === "hmac_header") {
    Object.assign(headers, {
      "x-app-id": creds.appId ?? "", "x-timestamp": String(nowS), "x-nonce": nonce,
      "x-signature": await headerSign(creds.secret, method, path, String(nowS), nonce, body),
    });
  } else headers["x-supplier-signature"] = await signBody(creds.secret, body, nowS);
  return { path, headers, body: get ? undefined : body };
}

/** Checks an incoming request against these credentials; the caller refuses a nonce it has seen before. */
export async function verifyRequest(creds: SupplierCredentials, req: IncomingRequest, nowS = Math.floor(Date.now() / 1000)): Promise<Verified> {
  const fresh = (t: string | null | undefined) => {
    const n = Number(t);
    return Number.isInteger(n) && Math.abs(nowS - n) <= SIGN_TOLERANCE_S;
  };
  if (creds.scheme === "sorted_md5" || creds.scheme === "sorted_hmac_sha256") {
    const q = req.path.indexOf("?");
    const raw = req.method.toUpperCase() === "GET" ? (q >= 0 ? req.path.slice(q + 1) : "") : req.body;
    const all = Object.fromEntries(new URLSearchParams(raw));
    const signType = creds.scheme === "sorted_md5" ? "MD5" : "HMAC-SHA256";
    if (!all.sign || !all.nonce_str || !all.timestamp || all.sign_type !== signType) return { ok: false, reason: "malformed" };
    if ((all.app_id ?? "") !== (creds.appId ?? "")) return { ok: false, reason: "mismatch" };
    if (!fresh(all.timestamp)) return { ok: false, reason: "expired" };
    if (!timingSafeEqual(await sortedSign(all, creds.secret, signType), all.sign)) return { ok: false, reason: "mismatch" };
    return { ok: true, params: Object.fromEntries(Object.entries(all).filter(([k]) => !ENVELOPE.has(k))), nonce: all.nonce_str };
  }
  let nonce: string;
  if (creds.scheme === "hmac_header") {
    const [ts, n, sig] = [req.header("x-timestamp"), req.header("x-nonce"), req.header("x-signature")];
    if (!ts || !n || !sig) return { ok: false, reason: "malformed" };
    if ((req.header("x-app-id") ?? "") !== (creds.appId ?? "")) return { ok: false, reason: "mismatch" };
    if (!fresh(ts)) return { ok: false, reason: "expired" };
    if (!timingSafeEqual(await headerSign(creds.secret, req.method, req.path, ts, n, req.body), sig)) return { ok: false, reason: "mismatch" };
    nonce = n;
  } else {
    const header = req.header("x-supplier-signature");
    const check = await verifyBody(creds.secret, req.body, header, nowS, SIGN_TOLERANCE_S);
    if (!check.ok) return check;
    // The signature itself: the same request sent twice carries the same one. A GET has no body to tell two apart
    // within one second, so this legacy scheme only guards requests with a body against replays.
    if (!req.body) return { ok: true, params: {}, nonce: null };
    nonce = header!;
  }
  let params: unknown = {};
  if (req.body) {
    try {
      params = JSON.parse(req.body);
    } catch {
      return { ok: false, reason: "malformed" };
    }
  }
  if (!params || typeof params !== "object" || Array.isArray(params)) return { ok: false, reason: "malformed" };
  return { ok: true, params: params as Record<string, unknown>, nonce };
}
