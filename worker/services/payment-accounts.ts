/** A brand connects its own merchant accounts (WeChat Pay, Alipay); credentials are sealed and never shown again. */
import type { PaymentAccount, PaymentAccountInput } from "../../schema/payments";
import { listPaymentAccounts, upsertPaymentAccount, getPaymentAccount, type PaymentAccountRow } from "../db/payment-accounts";
import { newId } from "../domain/crypto";
import { sealSecret } from "../domain/secret-box";
import { ApiError } from "../errors";
import { unusableKeys } from "../payments/account-keys";
import { assertOutboundUrl } from "./outbound-url";

function view(r: PaymentAccountRow): PaymentAccount {
  return { id: r.id, provider: r.provider, enabled: !!r.enabled, merchantId: r.merchant_id, gatewayUrl: r.gateway_url, updatedAt: r.updated_at };
}

export async function savePaymentAccount(env: Env, tenantId: string, input: PaymentAccountInput): Promise<PaymentAccount> {
  assertOutboundUrl(env, input.config.gatewayUrl, "json.config.gatewayUrl", "invalid_gateway_url", "Gateway URL");
  const bad = await unusableKeys(input);
  if (bad.length) throw ApiError.badRequest("invalid_key", `Key refused: ${bad.map((i) => `${i.path.slice(12)} is ${i.message}`).join("; ")}`, bad);
  const prior = await getPaymentAccount(env.DB, tenantId, input.provider);
  const row = await upsertPaymentAccount(env.DB, {
    id: prior?.id ?? newId("pa"), tenant_id: tenantId, provider: input.provider,
    merchant_id: input.provider === "wechatpay" ? input.config.mchId : input.config.appId, gateway_url: input.config.gatewayUrl,
    config_enc: await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, JSON.stringify(input.config)), enabled: input.enabled ? 1 : 0,
  });
  return view(row!);
}

export async function listAccounts(env: Env, tenantId: string): Promise<PaymentAccount[]> {
  return (await listPaymentAccounts(env.DB, tenantId)).map(view);
}
