import { chinaDay } from "../domain/china-time";

type Named = { id: string; name: string | null };

/**
 * Display names of a tenant's campaigns, products, suppliers, membership tiers, segments and targeted issuances (the
 * warehouse keeps ids only). An issuance has no name of its own: it is called by its segment, coupon and China day.
 */
export async function tenantNames(db: D1Database, tenantId: string) {
  const [campaigns, products, suppliers, tiers, segments, issuances] = await db.batch<Named & { segment?: string | null; coupon?: string | null; created_at?: string }>([
    db.prepare("SELECT id, json_extract(definition, '$.name') AS name FROM campaigns WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM products WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM suppliers WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM member_tiers WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM segments WHERE tenant_id = ?").bind(tenantId),
    db.prepare(
      `SELECT i.id, NULL AS name, s.name AS segment, p.name AS coupon, i.created_at FROM issuances i
       LEFT JOIN segments s ON s.id = i.segment_id AND s.tenant_id = i.tenant_id
       LEFT JOIN products p ON p.id = i.coupon_product_id AND p.tenant_id = i.tenant_id
       WHERE i.tenant_id = ?`,
    ).bind(tenantId),
  ]);
  const map = (rows: Named[]) => Object.fromEntries(rows.filter((r) => r.name).map((r) => [r.id, r.name!]));
  const issuanceName = (r: { segment?: string | null; coupon?: string | null; created_at?: string }) =>
    [r.segment, r.coupon, r.created_at ? chinaDay(r.created_at) : null].filter(Boolean).join(" · ");
  return {
    campaigns: map(campaigns!.results), products: map(products!.results), suppliers: map(suppliers!.results), tiers: map(tiers!.results),
    segments: map(segments!.results), issuances: Object.fromEntries(issuances!.results.map((r) => [r.id, issuanceName(r)])),
  };
}
