import type { VoucherRow } from "../db/vouchers";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { expiredEvent } from "./redemptions";

/**
 * Cron: issued vouchers past their window become expired (all tenants, a bounded batch per run), each with its
 * voucher_expired event (→ ledger) written in the same batch. Redemption also expires one lazily when tried late.
 */
export async function expireDueVouchers(env: Env, now = new Date(), limit = 500): Promise<number> {
  const { results: due } = await env.DB.prepare("SELECT * FROM vouchers WHERE status = 'issued' AND valid_to IS NOT NULL AND valid_to < ? LIMIT ?")
    .bind(now.toISOString(), limit)
    .all<VoucherRow>();
  if (!due.length) return 0;
  const update = env.DB.prepare("UPDATE vouchers SET status = 'expired', status_changed_at = ? WHERE tenant_id = ? AND id = ? AND status = 'issued'");
  const stmts = due.flatMap((v) => [
    update.bind(now.toISOString(), v.tenant_id, v.id),
    ...eventRows(env, [expiredEvent(v)], { sql: "changes() = 1", args: [] }),
  ]);
  const results = await env.DB.batch(stmts);
  await scheduleDispatch(env);
  return results.filter((_, i) => i % 2 === 0).reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
