/**
 * Raw event retention per tenant (tenants.event_retention_days): the cron asks the warehouse to delete the tenant's
 * events older than the window, at most once an hour per tenant. Aggregates the dashboards keep (user_profiles)
 * are not raw events and stay.
 */
import { markRetentionApplied, tenantsDueForRetention } from "../db/tenants";
import { warehouseWrite } from "./warehouse";

export const RETENTION_EVERY_MS = 3600_000;

export async function applyEventRetention(env: Env, now = Date.now()): Promise<{ tenantId: string; deleted: number }[]> {
  const due = await tenantsDueForRetention(env.DB, new Date(now - RETENTION_EVERY_MS).toISOString());
  const done: { tenantId: string; deleted: number }[] = [];
  for (const t of due) {
    try {
      const { deleted } = await warehouseWrite<{ deleted: number }>(env, "/v1/privacy/retention", { tenantId: t.id, days: t.days });
      await markRetentionApplied(env.DB, t.id, new Date(now).toISOString());
      done.push({ tenantId: t.id, deleted });
    } catch (e) {
      // One tenant's failure (the warehouse down) leaves it due for the next run; the others still go.
      console.error(JSON.stringify({ at: "retention", tenantId: t.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return done;
}
