export interface PaymentAccountRow {
  id: string;
  tenant_id: string;
  provider: "wechatpay" | "alipay";
  merchant_id: string;
  gateway_url: string;
  config_enc: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export function getPaymentAccount(db: D1Database, tenantId: string, provider: string) {
  return db.prepare("SELECT * FROM payment_accounts WHERE tenant_id = ? AND provider = ?").bind(tenantId, provider).first<PaymentAccountRow>();
}

export function getPaymentAccountById(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM payment_accounts WHERE id = ?").bind(id).first<PaymentAccountRow>();
}

export async function listPaymentAccounts(db: D1Database, tenantId: string) {
  return (await db.prepare("SELECT * FROM payment_accounts WHERE tenant_id = ? ORDER BY provider").bind(tenantId).all<PaymentAccountRow>()).results;
}

/** Connects or replaces the tenant's account at a provider (one per provider); the id stays across replacements. */
export function upsertPaymentAccount(db: D1Database, row: Pick<PaymentAccountRow, "id" | "tenant_id" | "provider" | "merchant_id" | "gateway_url" | "config_enc" | "enabled">) {
  return db
    .prepare(
      `INSERT INTO payment_accounts (id, tenant_id, provider, merchant_id, gateway_url, config_enc, enabled) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, provider) DO UPDATE SET merchant_id = excluded.merchant_id, gateway_url = excluded.gateway_url, config_enc = excluded.config_enc,
         enabled = excluded.enabled, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       RETURNING *`,
    )
    .bind(row.id, row.tenant_id, row.provider, row.merchant_id, row.gateway_url, row.config_enc, row.enabled)
    .first<PaymentAccountRow>();
}
