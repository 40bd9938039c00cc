import type { StopWaitingInput, StopWaitingResult } from "../../schema/after-sale";
import type { Order } from "../../schema/orders";
import type { Voucher } from "../../schema/vouchers";
import { getOrderRow, toOrder } from "../db/orders";
import { listVouchersByOrder, toVoucher } from "../db/vouchers";
import { ApiError } from "../errors";
import { refundOrder } from "./fulfilment";
import { stopWaitingForSupplier } from "./supplier-callbacks";

/** The operator's view of an order: the order and its vouchers (never their secrets). 404 when not this tenant's. */
export async function orderForSupport(env: Pick<Env, "DB">, tenantId: string, orderId: string): Promise<{ order: Order; vouchers: Voucher[] }> {
  const row = await getOrderRow(env.DB, tenantId, orderId);
  if (!row) throw ApiError.notFound("Order");
  return { order: toOrder(row), vouchers: (await listVouchersByOrder(env.DB, tenantId, row.id)).map(toVoucher) };
}

/** An operator's refund (services/fulfilment.ts refundOrder), answered as the API's order. */
export async function refundForOperator(env: Env, tenantId: string, orderId: string, reason: string, byKeyId: string): Promise<Order> {
  return toOrder(await refundOrder(env, tenantId, orderId, reason, byKeyId));
}

/** The operator stops waiting for a supplier's recharge (services/supplier-callbacks.ts): the order after, with the suppliers' answers. */
export async function stopWaitingForOperator(env: Env, tenantId: string, orderId: string, input: StopWaitingInput, byKeyId: string): Promise<StopWaitingResult> {
  const { order, answers } = await stopWaitingForSupplier(env, tenantId, orderId, input.reason, byKeyId, { confirmedOffline: input.supplierConfirmedCancel === true });
  return { ...toOrder(order), supplierAnswers: answers };
}
