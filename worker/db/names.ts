/** Display names of a tenant's campaigns, products, suppliers and membership tiers (the warehouse keeps ids only). */
export async function tenantNames(db: D1Database, tenantId: string) {
  const [campaigns, products, suppliers, tiers] = await db.batch<{ id: string; name: string | null }>([
    db.prepare("SELECT id, json_extract(definition, '$.name') AS name FROM campaigns WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM products WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM suppliers WHERE tenant_id = ?").bind(tenantId),
    db.prepare("SELECT id, name FROM member_tiers WHERE tenant_id = ?").bind(tenantId),
  ]);
  const map = (rows: { id: string; name: string | null }[]) => Object.fromEntries(rows.filter((r) => r.name).map((r) => [r.id, r.name!]));
  return { campaigns: map(campaigns!.results), products: map(products!.results), suppliers: map(suppliers!.results), tiers: map(tiers!.results) };
}
