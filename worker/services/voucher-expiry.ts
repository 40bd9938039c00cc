import { dueForExpiry, expireVoucherStmt } from "../db/vouchers";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { expiredEvent } from "./redemptions";

/**
 * Cron: issued vouchers past their window become expired (all tenants, a bounded batch per run), each with its
 * voucher_expired event (→ ledger) written in the same batch, only if that voucher's update happened.
 * Redemption also expires one lazily when someone tries it late.
 */
export async function expireDueVouchers(env: Env, now = new Date(), limit = 500): Promise<number> {
  const at = now.toISOString();
  const due = await dueForExpiry(env.DB, at, limit);
  if (!due.length) return 0;
  const results = await env.DB.batch(due.flatMap((v) => [expireVoucherStmt(env.DB, v, at), ...eventRows(env, [expiredEvent(v)], { sql: "changes() = 1", args: [] })]));
  await scheduleDispatch(env);
  return results.filter((_, i) => i % 2 === 0).reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
