import type { Voucher } from "../../schema/vouchers";
import { getOrderRow, listOrdersOfBuyers, toOrder } from "../db/orders";
import { getChargeOfOrder } from "../db/payments";
import { getProductRow, listProductRows } from "../db/products";
import { listVouchersByHolders, listVouchersByOrder, toVoucher, type VoucherRow } from "../db/vouchers";
import { ApiError } from "../errors";
import { checkoutPath } from "./orders";
import { revealVoucher, withTutorial } from "./vouchers-view";

/** The buyer's own view of one order: 404 unless it is theirs (order ids are unguessable, and also owner-bound). */
export async function ownOrder(env: Env, tenantId: string, buyerId: string, orderId: string) {
  const row = await getOrderRow(env.DB, tenantId, orderId);
  if (!row || row.buyer_id !== buyerId) throw ApiError.notFound("Order");
  const charge = row.status === "created" ? await getChargeOfOrder(env.DB, tenantId, orderId) : null;
  const vouchers = await listVouchersByOrder(env.DB, tenantId, orderId);
  return {
    order: { ...toOrder(row), ...(charge && row.status === "created" ? { checkoutUrl: checkoutPath(charge.id) } : {}) },
    vouchers: await viewVouchers(env, tenantId, vouchers),
  };
}

/** Secrets only for rights the holder still has (issued or already redeemed), never for refunded/voided ones. */
export async function viewVouchers(env: Env, tenantId: string, rows: VoucherRow[]): Promise<Voucher[]> {
  const tutorials = new Map<string, string>();
  const out: Voucher[] = [];
  for (const r of rows) {
    if (!tutorials.has(r.product_id)) tutorials.set(r.product_id, (await getProductRow(env.DB, tenantId, r.product_id))?.tutorial ?? "");
    const tutorial = tutorials.get(r.product_id)!;
    out.push(r.status === "issued" || r.status === "redeemed" ? await revealVoucher(env, r, tutorial) : withTutorial(toVoucher(r), tutorial));
  }
  return out;
}

export async function myVouchers(env: Env, tenantId: string, buyerId: string) {
  return viewVouchers(env, tenantId, await listVouchersByHolders(env.DB, tenantId, [buyerId]));
}

export async function myOrders(env: Env, tenantId: string, buyerId: string) {
  return (await listOrdersOfBuyers(env.DB, tenantId, [buyerId])).map(toOrder);
}

export { listProductRows };
