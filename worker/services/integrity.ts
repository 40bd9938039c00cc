import type { IntegrityIndex } from "../../schema/compensation";
import type { Tenant } from "../../schema/tenancy";
import { integrityCounts } from "../db/complaints";
import { getTenantBySlug } from "../db/tenants";
import { ApiError } from "../errors";
import { integrity, INTEGRITY_COUNTED_REFUSALS } from "../domain/integrity";

export const INTEGRITY_PERIOD_DAYS = 90;

export async function brandIntegrity(env: Pick<Env, "DB">, tenant: Tenant, now = new Date()): Promise<IntegrityIndex> {
  const since = new Date(now.getTime() - INTEGRITY_PERIOD_DAYS * 86_400_000).toISOString();
  const counts = await integrityCounts(env.DB, tenant.id, since, INTEGRITY_COUNTED_REFUSALS);
  const rates = integrity(counts);
  return {
    brand: { slug: tenant.slug, name: tenant.name },
    periodDays: INTEGRITY_PERIOD_DAYS,
    vouchersIssued: counts.vouchersIssued,
    complaints: counts.complaints,
    compensated: counts.compensated,
    complaintRate: rates.complaintRate,
    compensationRate: rates.compensationRate,
    redemptionAttempts: counts.redemptionAttempts,
    redemptionSuccessRate: rates.redemptionSuccessRate,
    ratingAverage: counts.ratingAverage === null ? null : Math.round(counts.ratingAverage * 100) / 100,
    ratings: counts.ratings,
    score: rates.score,
  };
}

/** The public integrity index of the brand with this slug. */
export async function brandIntegrityBySlug(env: Pick<Env, "DB">, slug: string): Promise<IntegrityIndex> {
  const tenant = await getTenantBySlug(env.DB, slug);
  if (!tenant) throw ApiError.notFound("Brand");
  return brandIntegrity(env, tenant);
}
