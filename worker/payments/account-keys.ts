/** A merchant account's keys, imported once at save: a key WebCrypto cannot use is refused there, with its field. */
import type { PaymentAccountInput } from "../../schema/payments";
import type { ErrorIssue } from "../errors";
import * as alipay from "./alipay/sign";
import * as wechat from "./wechatpay/crypto";

type Importer = (pem: string) => Promise<CryptoKey>;
const KEYS: Record<PaymentAccountInput["provider"], [field: string, importKey: Importer, what: string][]> = {
  wechatpay: [
    ["merchantPrivateKeyPem", wechat.importPrivateKey, "an RSA private key in PKCS#8 (apiclient_key.pem)"],
    ["platformPublicKeyPem", wechat.importPublicKey, "an RSA public key (微信支付平台公钥, SPKI)"],
  ],
  alipay: [
    ["appPrivateKeyPem", alipay.importPrivateKey, "an RSA private key (应用私钥, PKCS#1 or PKCS#8)"],
    ["alipayPublicKeyPem", alipay.importPublicKey, "an RSA public key (支付宝公钥, SPKI)"],
  ],
};

export async function unusableKeys(input: PaymentAccountInput): Promise<ErrorIssue[]> {
  const config = input.config as Record<string, string>;
  const checked = await Promise.all(KEYS[input.provider].map(([field, importKey, what]) =>
    importKey(config[field]!).then(() => null, () => ({ path: `json.config.${field}`, message: `not ${what}`, code: "invalid_key" }))));
  return checked.filter((i): i is ErrorIssue => i !== null);
}
