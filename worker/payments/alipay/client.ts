import type { AlipayAccount } from "../../../schema/payments";
import { chinaTimestamp } from "./amount";
import { importPrivateKey, importPublicKey, rawJsonMember, rsa2Sign, rsa2Verify, signingString } from "./sign";

export interface AlipayKeys {
  appId: string;
  /** The merchant's PID (2088…), when the account names it: a notify must be for this seller. */
  sellerId?: string;
  gatewayUrl: string;
  appKey: Promise<CryptoKey>;
  alipayKey: Promise<CryptoKey>;
}

export function alipayKeys(account: AlipayAccount): AlipayKeys {
  const appKey = importPrivateKey(account.appPrivateKeyPem);
  const alipayKey = importPublicKey(account.alipayPublicKeyPem);
  // Imported lazily per request; an unused rejected promise must not become an unhandled rejection.
  appKey.catch(() => undefined);
  alipayKey.catch(() => undefined);
  return { appId: account.appId, sellerId: account.sellerId, gatewayUrl: account.gatewayUrl, appKey, alipayKey };
}

/** The common request parameters, signed: app_id, method, format, charset, sign_type, timestamp, version, biz_content. */
export async function signedParams(keys: AlipayKeys, method: string, biz: Record<string, unknown>, now: number, extra: Record<string, string> = {}) {
  const params: Record<string, string> = {
    app_id: keys.appId, method, format: "JSON", charset: "utf-8", sign_type: "RSA2", timestamp: chinaTimestamp(now), version: "1.0",
    ...extra, biz_content: JSON.stringify(biz),
  };
  params.sign = await rsa2Sign(await keys.appKey, signingString(params));
  return params;
}

/** What the gateway answered under `<method>_response` (code "10000" = success; else code/sub_code say why). */
export type AlipayResponse = Record<string, unknown> & { code: string; msg?: string; sub_code?: string; sub_msg?: string };

/**
 * Calls an openapi method (POST form to gateway.do) and verifies the answer: the raw `<method>_response` text as sent
 * and `sign` with the Alipay public key. A success without a valid signature is an error (thrown, like a transport
 * failure: the caller asks again); an unsigned error answer is returned as the error it is.
 */
export async function callAlipay(keys: AlipayKeys, fetcher: typeof fetch, method: string, biz: Record<string, unknown>, now: number, extra: Record<string, string> = {}): Promise<AlipayResponse> {
  const params = await signedParams(keys, method, biz, now, extra);
  const res = await fetcher(`${keys.gatewayUrl}?charset=utf-8`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8" },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`alipay ${method}: HTTP ${res.status}`);
  const key = `${method.replaceAll(".", "_")}_response`;
  const raw = rawJsonMember(text, key) ?? rawJsonMember(text, "error_response");
  let parsed: { sign?: string } & Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`alipay ${method}: the answer is not JSON`);
  }
  if (!raw) throw new Error(`alipay ${method}: no ${key} in the answer`);
  const body = JSON.parse(raw) as AlipayResponse;
  const signed = typeof parsed.sign === "string" && parsed.sign !== "";
  if (signed ? !(await rsa2Verify(await keys.alipayKey, raw, parsed.sign)) : body.code === "10000") {
    throw new Error(`alipay ${method}: the answer's signature does not verify with the Alipay public key`);
  }
  return body;
}
