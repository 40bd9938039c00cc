import type { WechatPayAccount } from "../../schema/payments";
import { kaquanClient, must } from "./api/client";

/**
 * Connects the demo brand's 微信支付 account to the local WeChat Pay sandbox (KAQUAN_WECHATPAY_URL, set by npm start):
 * its test merchant's credentials, exactly as a brand would paste its own, through PUT /payment-accounts.
 */
export async function seedPayments(baseUrl: string, keys: { admin: string }) {
  const sandbox = process.env.KAQUAN_WECHATPAY_URL;
  if (!sandbox) return;
  const res = await fetch(`${sandbox}/sandbox/merchant`);
  if (!res.ok) throw new Error(`WeChat Pay sandbox answered ${res.status}`);
  const config = (await res.json()) as WechatPayAccount;
  await must(kaquanClient(baseUrl, keys.admin).PUT("/payment-accounts", { body: { provider: "wechatpay", enabled: true, config } }));
}
