import { getProductRow, type ProductRow } from "../db/products";
import { ApiError } from "../errors";

export interface BundleLine {
  product: ProductRow;
  quantity: number;
}

/** The products an order takes stock from: the product itself, or for a bundle each item times quantity. */
export async function orderLines(db: D1Database, tenantId: string, product: ProductRow, quantity: number): Promise<BundleLine[]> {
  if (product.kind !== "bundle") return [{ product, quantity }];
  const items = (JSON.parse(product.config) as { bundle?: { items: { productId: string; quantity: number }[] } }).bundle?.items ?? [];
  const lines: BundleLine[] = [];
  for (const item of items) {
    const p = await getProductRow(db, tenantId, item.productId);
    if (!p || p.kind === "bundle") throw ApiError.conflict("bundle_invalid", `Bundle item ${item.productId} is not sellable`);
    lines.push({ product: p, quantity: item.quantity * quantity });
  }
  return lines;
}

