/**
 * Redemption-frequency monitoring, run after each attempt: a store far above its own norm, one holder redeeming
 * at many stores within minutes, a burst of unknown codes from one redeemer key (which suspends that key).
 * Each finding is stored once per window in risk_events and emitted as a risk_flagged event.
 */
import type { RiskEvent } from "../../schema/redemptions";
import { newId } from "../domain/crypto";
import { failedBurst, holderAcrossStores, RISK, storeSpike, windowStart } from "../domain/redemption-risk";
import { countHolderStores, countKeyFailures, countStoreSuccesses, insertRiskEvent } from "../db/redemptions";
import { suspendKey } from "../db/stores";
import { eventRows } from "../queue/emit";

export interface Attempt {
  tenantId: string;
  apiKeyId: string;
  storeId: string;
  holderId: string | null;
  outcome: "succeeded" | "failed";
  reason: string | null;
  now: Date;
}

const ago = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

export async function watchRedemption(env: Env, a: Attempt): Promise<void> {
  const { tenantId, now } = a;
  if (a.outcome === "succeeded") {
    const windowCount = await countStoreSuccesses(env.DB, tenantId, a.storeId, ago(now, RISK.storeWindowMin));
    if (windowCount >= RISK.storeSpikeFloor) {
      const baseline = await countStoreSuccesses(env.DB, tenantId, a.storeId, ago(now, RISK.storeBaselineDays * 1440), ago(now, RISK.storeWindowMin));
      const { spike, norm } = storeSpike(windowCount, baseline);
      if (spike) {
        await flag(env, tenantId, "store_spike", a.storeId, windowStart(now, RISK.storeWindowMin), { storeId: a.storeId, windowCount, normPerWindow: Math.round(norm * 100) / 100, windowMinutes: RISK.storeWindowMin }, null, a.apiKeyId);
      }
    }
    if (a.holderId) {
      const stores = await countHolderStores(env.DB, tenantId, a.holderId, ago(now, RISK.holderWindowMin));
      if (holderAcrossStores(stores)) {
        await flag(env, tenantId, "holder_multi_store", a.holderId, windowStart(now, RISK.holderWindowMin), { holderId: a.holderId, distinctStores: stores, windowMinutes: RISK.holderWindowMin }, null, a.apiKeyId);
      }
    }
    return;
  }
  if (a.reason === "voucher_not_found") {
    const failures = await countKeyFailures(env.DB, tenantId, a.apiKeyId, ago(now, RISK.failedWindowMin));
    if (failedBurst(failures)) {
      const suspended = await suspendKey(env.DB, tenantId, a.apiKeyId, `${failures} unknown codes within ${RISK.failedWindowMin} minutes`);
      await flag(env, tenantId, "failed_code_burst", a.apiKeyId, windowStart(now, RISK.failedWindowMin), { apiKeyId: a.apiKeyId, failures, windowMinutes: RISK.failedWindowMin, storeId: a.storeId }, suspended ? "key_suspended" : null, a.apiKeyId);
    }
  }
}

async function flag(
  env: Env,
  tenantId: string,
  kind: RiskEvent["kind"],
  subject: string,
  window: string,
  detail: RiskEvent["detail"],
  action: string | null,
  apiKeyId: string,
) {
  const id = newId("risk");
  const event = eventRows(env, [{ eventId: `evrk_${id}`, tenantId, type: "risk_flagged", actor: { apiKeyId }, payload: { source: "redemption", kind, subject, action, ...detail } }], { sql: "changes() = 1", args: [] });
  await insertRiskEvent(env.DB, tenantId, { id, kind, subject, windowStart: window, detail, action }, event);
}
