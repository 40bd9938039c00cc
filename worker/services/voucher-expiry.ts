import type { VoucherRow } from "../db/vouchers";
import { emitEvents } from "../queue/emit";
import { recordVoucherLedgerSoon } from "./voucher-ledger";

/**
 * Cron: issued vouchers past their window become expired (all tenants, a bounded batch per run), each with its
 * ledger entry and voucher_expired event. Redemption also expires one lazily when someone tries it late.
 */
export async function expireDueVouchers(env: Env, now = new Date(), limit = 500): Promise<number> {
  const { results } = await env.DB.prepare(
    `UPDATE vouchers SET status = 'expired', status_changed_at = ?
     WHERE id IN (SELECT id FROM vouchers WHERE status = 'issued' AND valid_to IS NOT NULL AND valid_to < ? LIMIT ?)
       AND status = 'issued'
     RETURNING *`,
  )
    .bind(now.toISOString(), now.toISOString(), limit)
    .all<VoucherRow>();
  const byTenant = new Map<string, VoucherRow[]>();
  for (const v of results) byTenant.set(v.tenant_id, [...(byTenant.get(v.tenant_id) ?? []), v]);
  for (const [tenantId, rows] of byTenant) {
    await recordVoucherLedgerSoon(env, tenantId, rows.map((v) => ({ voucher: v, kind: "expiry" as const, occurredAt: v.status_changed_at ?? undefined })));
  }
  await emitEvents(
    env,
    results.map((v) => ({
      tenantId: v.tenant_id,
      type: "voucher_expired" as const,
      actor: { userId: v.holder_id },
      payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind },
    })),
  );
  return results.length;
}
