/**
 * How many units of a product a storefront buyer may order now, so the product page can cap its quantity before the
 * tap. Advice only: the order's own insert still enforces the limit and the unpaid cap atomically (db/orders.ts).
 */
import { MAX_ORDER_QUANTITY } from "../../schema/orders";
import { buyerUnits } from "../db/orders";
import type { ProductRow } from "../db/products";
import { withStock } from "./catalog";

export interface OrderRoom {
  /** Units the buyer may order in one order now (0: none): the per-person limit less what they hold, the unpaid cap, the stock, at most MAX_ORDER_QUANTITY. */
  maxQuantity: number;
  /** Units left under the product's per-person limit (null: no limit). */
  limitLeft: number | null;
}

export async function orderRoom(db: D1Database, tenantId: string, buyerId: string | null, product: ProductRow): Promise<OrderRoom> {
  const [units, stocked] = await Promise.all([
    buyerId ? buyerUnits(db, tenantId, buyerId, product.id) : { held: 0, unpaid: 0 },
    withStock(db, tenantId, product),
  ]);
  const limitLeft = product.per_user_limit > 0 ? Math.max(0, product.per_user_limit - units.held) : null;
  const maxQuantity = Math.max(0, Math.min(MAX_ORDER_QUANTITY, limitLeft ?? MAX_ORDER_QUANTITY, MAX_ORDER_QUANTITY - units.unpaid, stocked.stock?.available ?? 0));
  return { maxQuantity, limitLeft };
}
