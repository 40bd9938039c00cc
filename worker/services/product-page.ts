import { TenantSlug } from "../../schema/tenancy";
import { getTenantBySlugCached } from "../db/tenants";
import { ApiError } from "../errors";
import { publishedProduct, publishedProducts } from "./shop";

/** The published product a storefront page names, as the shop API gives it; null when there is none to show. */
export async function productForPage(env: Pick<Env, "DB">, slug: string, productId: string) {
  if (!productId || productId.length > 64) return null;
  const tenant = await getTenantBySlugCached(env.DB, slug);
  if (!tenant) return null;
  try {
    return await publishedProduct(env, tenant.id, productId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** The published products of the store a shop page names (as GET /shop/{store}/products gives them); null for no store. */
export async function productsForPage(env: Pick<Env, "DB">, slug: string) {
  if (!TenantSlug.safeParse(slug).success) return null; // no store has it: not worth a read
  const tenant = await getTenantBySlugCached(env.DB, slug);
  return tenant ? { slug: tenant.slug, ...(await publishedProducts(env, tenant.id)) } : null;
}
