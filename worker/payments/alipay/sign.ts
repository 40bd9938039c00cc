/**
 * Alipay open platform RSA2: RSA-SHA256 (PKCS#1 v1.5) over the sorted `k=v&…` string, base64. WebCrypto only, so it
 * runs in workerd and in Node (the local sandbox signs with the same code).
 */
const ALG = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** Sorted by key (byte order), raw values, empty values and the omitted keys dropped, joined `k=v` with `&`. */
export function signingString(params: Record<string, string | undefined | null>, omit: string[] = ["sign"]): string {
  return Object.keys(params)
    .filter((k) => !omit.includes(k) && params[k] !== undefined && params[k] !== null && params[k] !== "")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

function pemBody(pem: string): { label: string; der: Uint8Array } {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]+?)-----END \1-----/.exec(pem.trim());
  if (!m) throw new Error("not a PEM block");
  return { label: m[1]!, der: Uint8Array.from(atob(m[2]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0)) };
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

// Alipay's key tool exports the 应用私钥 as PKCS#1 ("RSA PRIVATE KEY") or PKCS#8; WebCrypto imports PKCS#8 only.
function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  const algId = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
  const octet = [0x04, ...derLength(pkcs1.length)];
  const inner = [0x02, 0x01, 0x00, ...algId, ...octet];
  return Uint8Array.from([0x30, ...derLength(inner.length + pkcs1.length), ...inner, ...pkcs1]);
}

export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const { label, der } = pemBody(pem);
  const pkcs8 = label === "RSA PRIVATE KEY" ? pkcs1ToPkcs8(der) : der;
  return crypto.subtle.importKey("pkcs8", pkcs8, ALG, false, ["sign"]);
}

export async function importPublicKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", pemBody(pem).der, ALG, false, ["verify"]);
}

function toBase64(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

export async function rsa2Sign(key: CryptoKey, content: string): Promise<string> {
  return toBase64(await crypto.subtle.sign(ALG, key, new TextEncoder().encode(content)));
}

export async function rsa2Verify(key: CryptoKey, content: string, signature: string | undefined | null): Promise<boolean> {
  if (!signature) return false;
  let sig: Uint8Array;
  try {
    sig = Uint8Array.from(atob(signature.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  return crypto.subtle.verify(ALG, key, sig, new TextEncoder().encode(content));
}

/** A fresh RSA-2048 key pair as PEM (PKCS#8 private, SPKI public): the sandbox's app and "Alipay" keys. */
export async function generateRsa2KeyPair(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const pair = (await crypto.subtle.generateKey({ ...ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pem = (label: string, buf: ArrayBuffer) => `-----BEGIN ${label}-----\n${toBase64(buf).match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----`;
  return {
    privateKeyPem: pem("PRIVATE KEY", (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer),
    publicKeyPem: pem("PUBLIC KEY", (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
  };
}

/**
 * The raw text of `"<key>":{…}` in a gateway answer, exactly as sent (the signature covers those bytes; re-serialising
 * would change spacing, key order or escapes and break verification). Scans braces outside strings.
 */
export function rawJsonMember(text: string, key: string): string | null {
  const marker = `"${key}"`;
  let at = text.indexOf(marker);
  while (at >= 0) {
    let i = at + marker.length;
    while (/\s/.test(text[i] ?? "")) i++;
    if (text[i] === ":") {
      i++;
      while (/\s/.test(text[i] ?? "")) i++;
      if (text[i] !== "{") return null;
      let depth = 0;
      let inString = false;
      for (let j = i; j < text.length; j++) {
        const c = text[j];
        if (inString) {
          if (c === "\\") j++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === "{") depth++;
        else if (c === "}" && --depth === 0) return text.slice(i, j + 1);
      }
      return null;
    }
    at = text.indexOf(marker, at + 1);
  }
  return null;
}
