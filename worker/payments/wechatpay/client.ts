/** A signed API v3 call: Authorization from the merchant key; the answer's signature checked with the platform key. */
import type { WechatPayAccount } from "../../../schema/payments";
import { importPrivateKey, importPublicKey, signRequest, verifyGatewaySignature } from "./crypto";

export class WechatPayError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`WeChat Pay ${status} ${code}: ${message}`);
  }
}

export interface WechatPayClient {
  /** Parsed JSON body (null for 204); throws WechatPayError for a verified 4xx/5xx, Error for a forged or broken answer. */
  call<T>(method: "GET" | "POST", pathAndQuery: string, body?: unknown): Promise<{ status: number; data: T }>;
  /** A file download (bill download_url): signed request; the file is checked by its hash, not a signature. */
  download(url: string): Promise<Uint8Array>;
  platformKey: Promise<CryptoKey>;
}

export function wechatPayClient(account: WechatPayAccount, fetcher: typeof fetch, now: () => number): WechatPayClient {
  const merchantKey = importPrivateKey(account.merchantPrivateKeyPem);
  const platformKey = importPublicKey(account.platformPublicKeyPem);
  // Imported lazily per request; an unused rejected promise must not become an unhandled rejection.
  merchantKey.catch(() => undefined);
  platformKey.catch(() => undefined);
  const base = account.gatewayUrl.replace(/\/+$/, "");
  const authorize = async (method: string, pathAndQuery: string, body: string) =>
    signRequest(await merchantKey, account.mchId, account.merchantSerialNo, method, pathAndQuery, body, Math.floor(now() / 1000));

  return {
    platformKey,
    async call<T>(method: "GET" | "POST", pathAndQuery: string, body?: unknown) {
      const text = body === undefined ? "" : JSON.stringify(body);
      const res = await fetcher(`${base}${pathAndQuery}`, {
        method,
        headers: {
          Authorization: await authorize(method, pathAndQuery, text),
          Accept: "application/json",
          "User-Agent": "kaquan-wechatpay/1",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : text,
      });
      const answer = await res.text();
      const check = await verifyGatewaySignature(await platformKey, account.platformSerialNo, res.headers, answer, Math.floor(now() / 1000));
      if (!check.ok) throw new Error(`WeChat Pay answer refused (${res.status}): ${check.code} ${check.message}`);
      const data = answer ? (JSON.parse(answer) as T & { code?: string; message?: string }) : null;
      if (!res.ok) throw new WechatPayError(res.status, data?.code ?? "HTTP_ERROR", data?.message ?? res.statusText);
      return { status: res.status, data: data as T };
    },
    async download(url: string) {
      const u = new URL(url);
      const pathAndQuery = `${u.pathname}${u.search}`;
      const res = await fetcher(url, { headers: { Authorization: await authorize("GET", pathAndQuery, ""), "User-Agent": "kaquan-wechatpay/1" } });
      if (!res.ok) throw new WechatPayError(res.status, "DOWNLOAD_FAILED", await res.text());
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
