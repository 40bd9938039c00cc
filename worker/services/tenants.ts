/** Tenants: created by the platform admin, renamed / re-originated by their own admin key; each change records its event. */
import type { CreateTenantInput, Tenant, UpdateTenantInput } from "../../schema/tenancy";
import type { z } from "zod";
import { newId } from "../domain/crypto";
import { getTenant, getTenantBySlug, getTenantBySlugCached, insertTenant, listTenants, tenantExists, updateTenant } from "../db/tenants";
import { pingDatabase } from "../db/statements";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";

export async function createTenant(env: Env, input: z.infer<typeof CreateTenantInput>): Promise<Tenant> {
  if (await getTenantBySlug(env.DB, input.slug)) throw ApiError.conflict("slug_taken", `A tenant with slug '${input.slug}' already exists`);
  const id = newId("tn");
  await insertTenant(env.DB, { id, ...input }, eventRows(env, [{ eventId: `evtc_${id}`, tenantId: id, type: "tenant_created", payload: { slug: input.slug } }], tenantExists(id)));
  return (await getTenant(env.DB, id))!;
}

export async function updateOwnTenant(env: Env, tenantId: string, patch: z.infer<typeof UpdateTenantInput>, byKeyId: string | null): Promise<Tenant> {
  const payload = { name: patch.name, allowedOrigins: patch.allowedOrigins?.length };
  await updateTenant(env.DB, tenantId, patch, eventRows(env, [{ tenantId, type: "tenant_updated", actor: { apiKeyId: byKeyId }, payload }], { sql: "changes() = 1", args: [] }));
  const tenant = await getTenant(env.DB, tenantId);
  if (!tenant) throw ApiError.notFound("Tenant");
  return tenant;
}

export async function tenantById(env: Pick<Env, "DB">, id: string): Promise<Tenant> {
  const tenant = await getTenant(env.DB, id);
  if (!tenant) throw ApiError.notFound("Tenant");
  return tenant;
}

/** By id, else by slug (platform routes take either). */
export async function tenantByIdOrSlug(env: Pick<Env, "DB">, idOrSlug: string): Promise<Tenant> {
  const tenant = (await getTenant(env.DB, idOrSlug)) ?? (await getTenantBySlug(env.DB, idOrSlug));
  if (!tenant) throw ApiError.notFound("Tenant");
  return tenant;
}

export const tenantBySlug = (env: Pick<Env, "DB">, slug: string) => getTenantBySlug(env.DB, slug);
/** By slug from the per-isolate 30 s cache (public reads on hot pages). */
export const tenantBySlugCached = (env: Pick<Env, "DB">, slug: string) => getTenantBySlugCached(env.DB, slug);
export const maybeTenant = (env: Pick<Env, "DB">, id: string) => getTenant(env.DB, id);
export const allTenants = (env: Pick<Env, "DB">) => listTenants(env.DB);

/** The cheapest statement D1 can answer (health probe). */
export const pingDb = (env: Pick<Env, "DB">) => pingDatabase(env.DB);
