/**
 * WeChat Pay API v3 cryptography on WebCrypto (runs in workerd and Node): request signatures (RSA-SHA256, PKCS#1
 * v1.5, merchant key), gateway/notification signature checks (platform public key), AEAD_AES_256_GCM resources.
 */
export const SIGNATURE_SCHEMA = "WECHATPAY2-SHA256-RSA2048";
/** A gateway message older or newer than this is refused (replay). */
export const MAX_SKEW_SECONDS = 300;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function pemBody(pem: string): Uint8Array {
  return fromBase64(pem.replace(/-----(BEGIN|END)[^-]+-----/g, "").replace(/\s+/g, ""));
}

export function toPem(der: ArrayBuffer, label: "PRIVATE KEY" | "PUBLIC KEY"): string {
  const b64 = toBase64(der).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** apiclient_key.pem (PKCS#8). */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pemBody(pem), RSA, false, ["sign"]);
}

/** 微信支付平台公钥 (SPKI PEM). */
export async function importPublicKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", pemBody(pem), RSA, false, ["verify"]);
}

export async function rsaSign(key: CryptoKey, message: string): Promise<string> {
  return toBase64(await crypto.subtle.sign(RSA.name, key, enc.encode(message)));
}

export async function rsaVerify(key: CryptoKey, message: string, signatureB64: string): Promise<boolean> {
  let sig: Uint8Array;
  try {
    sig = fromBase64(signatureB64);
  } catch {
    return false;
  }
  return crypto.subtle.verify(RSA.name, key, sig, enc.encode(message));
}

/** The string a merchant signs for a request: METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n (body empty for GET). */
export function requestSigningString(method: string, pathAndQuery: string, timestamp: number | string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The string the gateway signs for a response or a notification: timestamp\nnonce\nbody\n. */
export function responseSigningString(timestamp: number | string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export function nonceStr(bytes = 16): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

export interface AuthParts {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

export function authorizationHeader(p: AuthParts): string {
  return `${SIGNATURE_SCHEMA} mchid="${p.mchid}",nonce_str="${p.nonce_str}",signature="${p.signature}",timestamp="${p.timestamp}",serial_no="${p.serial_no}"`;
}

export function parseAuthorization(header: string | null): AuthParts | null {
  if (!header?.startsWith(`${SIGNATURE_SCHEMA} `)) return null;
  const fields: Record<string, string> = {};
  for (const m of header.slice(SIGNATURE_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)) fields[m[1]!] = m[2]!;
  const { mchid, nonce_str, signature, timestamp, serial_no } = fields;
  return mchid && nonce_str && signature && timestamp && serial_no ? { mchid, nonce_str, signature, timestamp, serial_no } : null;
}

/** Signs a request with the merchant key: the Authorization header value. */
export async function signRequest(
  key: CryptoKey, mchid: string, serialNo: string, method: string, pathAndQuery: string, body: string, nowSeconds: number, nonce = nonceStr(),
): Promise<string> {
  const timestamp = String(nowSeconds);
  const signature = await rsaSign(key, requestSigningString(method, pathAndQuery, timestamp, nonce, body));
  return authorizationHeader({ mchid, nonce_str: nonce, signature, timestamp, serial_no: serialNo });
}

export type SignatureCheck = { ok: true } | { ok: false; code: "signature_missing" | "signature_serial" | "signature_expired" | "signature_invalid"; message: string };

/**
 * A gateway response or notification: Wechatpay-Timestamp/-Nonce/-Signature/-Serial over `timestamp\nnonce\nbody\n`
 * with the platform key whose serial the account names, within ±5 minutes of now.
 */
export async function verifyGatewaySignature(key: CryptoKey, serialNo: string, headers: Headers, body: string, nowSeconds: number): Promise<SignatureCheck> {
  const timestamp = headers.get("wechatpay-timestamp");
  const nonce = headers.get("wechatpay-nonce");
  const signature = headers.get("wechatpay-signature");
  const serial = headers.get("wechatpay-serial");
  if (!timestamp || !nonce || !signature || !serial) return { ok: false, code: "signature_missing", message: "Wechatpay-* signature headers missing" };
  if (serial !== serialNo) return { ok: false, code: "signature_serial", message: `Signed with platform key ${serial}, not the account's ${serialNo}` };
  const t = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - t) > MAX_SKEW_SECONDS) return { ok: false, code: "signature_expired", message: "Wechatpay-Timestamp is more than 5 minutes from now" };
  if (!(await rsaVerify(key, responseSigningString(timestamp, nonce, body), signature))) return { ok: false, code: "signature_invalid", message: "Wechatpay-Signature does not verify" };
  return { ok: true };
}

/** Headers a gateway signs a body with (the sandbox's side; also how a test vector is made). */
export async function gatewaySignatureHeaders(key: CryptoKey, serialNo: string, body: string, nowSeconds: number, nonce = nonceStr()): Promise<Record<string, string>> {
  const timestamp = String(nowSeconds);
  return {
    "Wechatpay-Timestamp": timestamp,
    "Wechatpay-Nonce": nonce,
    "Wechatpay-Signature": await rsaSign(key, responseSigningString(timestamp, nonce, body)),
    "Wechatpay-Serial": serialNo,
    "Wechatpay-Signature-Type": SIGNATURE_SCHEMA,
  };
}

export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  associated_data?: string;
  nonce: string;
  original_type?: string;
}

function aesKey(apiV3Key: string, usage: "encrypt" | "decrypt") {
  return crypto.subtle.importKey("raw", enc.encode(apiV3Key), { name: "AES-GCM" }, false, [usage]);
}

/** AEAD_AES_256_GCM with the APIv3 key: ciphertext is base64 of encrypted bytes followed by the 16-byte tag. */
export async function decryptResource(apiV3Key: string, r: EncryptedResource): Promise<string> {
  if (r.algorithm !== "AEAD_AES_256_GCM") throw new Error(`unsupported algorithm ${r.algorithm}`);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: enc.encode(r.nonce), additionalData: enc.encode(r.associated_data ?? ""), tagLength: 128 },
    await aesKey(apiV3Key, "decrypt"),
    fromBase64(r.ciphertext),
  );
  return dec.decode(plain);
}

export async function encryptResource(apiV3Key: string, plaintext: string, associatedData: string, originalType: string, nonce = nonceStr(6)): Promise<EncryptedResource> {
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: enc.encode(nonce), additionalData: enc.encode(associatedData), tagLength: 128 },
    await aesKey(apiV3Key, "encrypt"),
    enc.encode(plaintext),
  );
  return { original_type: originalType, algorithm: "AEAD_AES_256_GCM", ciphertext: toBase64(sealed), associated_data: associatedData, nonce };
}

export async function sha1Hex(text: string | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", typeof text === "string" ? enc.encode(text) : text);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
