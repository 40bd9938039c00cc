import type { OrderRow } from "../db/orders";
import { getChargeOfOrder, type PaymentRow } from "../db/payments";
import type { GatewayCharge, PaymentProvider } from "../payments/provider";
import { providerFor } from "../payments/provider-registry";

/** Closes an unpaid order's charge at its gateway, so the buyer can no longer pay it there. */
export async function closeChargeOfOrder(env: Env, order: Pick<OrderRow, "tenant_id" | "id">): Promise<void> {
  const charge = await getChargeOfOrder(env.DB, order.tenant_id, order.id);
  if (!charge || charge.status !== "pending") return;
  const provider = await providerFor(env, charge.provider, order.tenant_id);
  await provider?.closeCharge(charge);
}

/** A charge the gateway says was paid although its notice never reached us (settled by services/order-expiry.ts). */
export interface PaidAtGateway {
  order: OrderRow;
  charge: PaymentRow;
  provider: PaymentProvider;
  gateway: GatewayCharge;
}

export type ExpiryCheck = { verdict: "unpaid" | "unknown" } | ({ verdict: "paid" } & PaidAtGateway);

/**
 * Before an unpaid order expires, its charge is closed at the gateway and the gateway asked whether it was paid: a
 * payment whose notice never arrived (lost, or our runtime died while taking it) must be credited, not expired with
 * the buyer's money taken. Closed first, so nothing can be paid there after the answer (closing a paid charge fails;
 * the query tells). "unknown": the gateway could not be asked.
 */
export async function chargeAtExpiry(env: Env, order: OrderRow): Promise<ExpiryCheck> {
  const charge = await getChargeOfOrder(env.DB, order.tenant_id, order.id);
  if (!charge || charge.status !== "pending") return { verdict: "unpaid" };
  const provider = await providerFor(env, charge.provider, order.tenant_id);
  if (!provider) return { verdict: "unpaid" };
  await provider.closeCharge(charge).catch(() => undefined);
  const gateway = await provider.queryCharge(charge).catch(() => null);
  if (!gateway) return { verdict: "unknown" };
  return gateway.state === "paid" ? { verdict: "paid", order, charge, provider, gateway } : { verdict: "unpaid" };
}
