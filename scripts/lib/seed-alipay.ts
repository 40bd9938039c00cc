/**
 * Connects the demo tenant's 支付宝 account to the local Alipay sandbox (scripts/lib/alipay-app.ts): its test app's
 * credentials, exactly in the AlipayAccount shape, from GET /sandbox/merchant → PUT /api/v1/payment-accounts. Idempotent
 * (the PUT replaces); skipped when no sandbox runs (KAQUAN_ALIPAY_URL unset).
 */
export async function seedAlipay(baseUrl: string, adminKey: string) {
  const sandbox = process.env.KAQUAN_ALIPAY_URL;
  if (!sandbox) return;
  const merchant = await fetch(`${sandbox}/sandbox/merchant`);
  if (!merchant.ok) throw new Error(`alipay sandbox /sandbox/merchant: ${merchant.status}`);
  const res = await fetch(`${baseUrl}/api/v1/payment-accounts`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ provider: "alipay", enabled: true, config: await merchant.json() }),
  });
  if (!res.ok) throw new Error(`PUT /payment-accounts: ${res.status} ${await res.text()}`);
}
