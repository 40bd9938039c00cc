import { getPaymentAccount, getPaymentAccountById, listPaymentAccounts, type PaymentAccountRow } from "../db/payment-accounts";
import { isDevelopment } from "../domain/deploy-config";
import { allowedOrigins } from "../domain/origins";
import { openSecret } from "../domain/secret-box";
import type { PaymentProvider } from "./provider";
import { sandboxProvider } from "./sandbox";
import { alipayProvider } from "./alipay";
import { wechatPayProvider } from "./wechatpay";
import { AlipayAccount, WechatPayAccount } from "../../schema/payments";

/** What an adapter needs besides its account's credentials: where the gateway sends its notices for this account. */
export interface ProviderContext {
  /** Absolute notify URL for this account (…/api/v1/pay/callback/<provider>/<accountId>). */
  notifyUrl: string;
  fetch: typeof fetch;
  now: () => number;
}

type Factory = (config: unknown, ctx: ProviderContext) => PaymentProvider;
/** Gateway adapters by provider name (worker/payments/<provider>/); config is the account's decrypted JSON. */
const factories: Record<string, Factory> = {
  alipay: (config, ctx) => alipayProvider(AlipayAccount.parse(config), ctx),
  wechatpay: (config, ctx) => wechatPayProvider(WechatPayAccount.parse(config), ctx),
};

export function callbackPath(provider: string, accountId: string) {
  return `/api/v1/pay/callback/${provider}/${accountId}`;
}

async function build(env: Env, row: PaymentAccountRow, origin: string): Promise<PaymentProvider | null> {
  const factory = factories[row.provider];
  if (!factory) return null;
  const config = JSON.parse(await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row.config_enc));
  return factory(config, { notifyUrl: new URL(callbackPath(row.provider, row.id), origin).toString(), fetch: (i, init) => fetch(i, init), now: Date.now });
}

/**
 * The sandbox in development, else the tenant's enabled account at that provider. Without a request's origin (a refund
 * from the console or the cron), the gateway's notices go to the platform's public origin: CORS_ORIGINS' first, as
 * for the links in buyers' messages (a refund asked with http://localhost never had its notice delivered).
 */
export async function providerFor(env: Env, name: string, tenantId?: string, origin = allowedOrigins(env.CORS_ORIGINS)[0] ?? "http://localhost"): Promise<PaymentProvider | null> {
  if (name === "sandbox") return isDevelopment(env) ? sandboxProvider(env, tenantId) : null;
  if (!tenantId) return null;
  const row = await getPaymentAccount(env.DB, tenantId, name);
  return row && row.enabled ? build(env, row, origin) : null;
}

/** The account a callback URL names (…/callback/<provider>/<accountId>), with its tenant; null when unknown or off. */
export async function providerForCallback(env: Env, name: string, accountId: string | undefined, origin: string) {
  if (name === "sandbox") return isDevelopment(env) && !accountId ? { provider: sandboxProvider(env), tenantId: null } : null;
  if (!accountId) return null;
  const row = await getPaymentAccountById(env.DB, accountId);
  if (!row || row.provider !== name || !row.enabled) return null;
  const provider = await build(env, row, origin);
  return provider ? { provider, tenantId: row.tenant_id } : null;
}

/** Every way a buyer of this tenant can pay, in cashier order (the sandbox last, development only). */
export async function providersForTenant(env: Env, tenantId: string, origin: string): Promise<PaymentProvider[]> {
  const rows = (await listPaymentAccounts(env.DB, tenantId)).filter((r) => r.enabled);
  const built = (await Promise.all(rows.map((r) => build(env, r, origin)))).filter((p): p is PaymentProvider => !!p);
  return isDevelopment(env) ? [...built, sandboxProvider(env)] : built;
}
