import type { RiskEvent } from "../../schema/redemptions";
import type { VoucherStatus } from "../../schema/vouchers";
import { listAttempts, listRiskEvents, sumSuccesses, voucherStatuses } from "../db/redemptions";
import { getKeySettings } from "../db/stores";
import { chinaDay } from "../domain/china-time";
import { reversibleUntil } from "../domain/redemption-reversal";
import { sha256Hex } from "../domain/crypto";
import { ApiError } from "../errors";

/** The store a redeemer key may read: the one it is bound to (asking for another is 403), else the one asked for. */
async function storeScope(db: D1Database, tenantId: string, apiKeyId: string, asked: string | undefined) {
  const bound = (await getKeySettings(db, tenantId, apiKeyId)).storeId;
  if (bound && asked && asked !== bound) throw ApiError.forbidden("This redeemer key is bound to another store");
  return bound ?? asked;
}

/** Redemption attempts, newest first, limited to the key's store when it is bound to one. */
export async function redemptionHistory(
  db: D1Database, tenantId: string, apiKeyId: string, q: { storeId?: string; outcome?: "succeeded" | "failed"; limit: number },
) {
  const rows = await listAttempts(db, tenantId, { ...q, storeId: await storeScope(db, tenantId, apiKeyId, q.storeId) });
  return {
    attempts: rows.map((r) => ({
      id: r.id,
      outcome: r.outcome,
      reason: r.reason,
      voucherCode: r.voucher_code,
      title: r.title,
      storeId: r.store_id,
      storeName: r.store_name,
      apiKeyId: r.api_key_id,
      at: r.created_at,
      reversal: r.reversed_at ? { at: r.reversed_at, apiKeyId: r.reversed_by ?? "", reason: r.reversal_reason ?? "" } : null,
      reversibleUntil: reversibleUntil(r),
    })),
  };
}

/** Today's (China Standard Time) successful redemptions at the key's store, the asked store, or every store. */
export async function redemptionToday(db: D1Database, tenantId: string, apiKeyId: string, asked: string | undefined, now = Date.now()) {
  const storeId = (await storeScope(db, tenantId, apiKeyId, asked)) ?? null;
  const day = chinaDay(now);
  const since = new Date(`${day}T00:00:00+08:00`).toISOString();
  return { day, since, storeId, ...(await sumSuccesses(db, tenantId, storeId, since)) };
}

/** Public status of vouchers by code, sorted by code, with an ETag of the list (so polling can answer 304). */
export async function voucherStatusList(db: D1Database, codes: string[]) {
  const rows = await voucherStatuses(db, codes);
  const vouchers = rows.map((r) => ({
    code: r.code,
    status: r.status as VoucherStatus,
    statusChangedAt: r.status_changed_at,
    redeemedAt: r.redeemed_at,
    storeName: r.store_name,
  }));
  vouchers.sort((a, b) => a.code.localeCompare(b.code));
  return { vouchers, etag: `"${(await sha256Hex(JSON.stringify(vouchers))).slice(0, 32)}"` };
}

export async function riskEvents(db: D1Database, tenantId: string): Promise<{ events: RiskEvent[] }> {
  return { events: await listRiskEvents(db, tenantId) };
}
