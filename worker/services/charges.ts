import type { OrderRow } from "../db/orders";
import { getChargeOfOrder } from "../db/payments";
import { providerFor } from "../payments/provider-registry";

/** Closes an unpaid order's charge at its gateway, so the buyer can no longer pay it there. */
export async function closeChargeOfOrder(env: Env, order: Pick<OrderRow, "tenant_id" | "id">): Promise<void> {
  const charge = await getChargeOfOrder(env.DB, order.tenant_id, order.id);
  if (!charge || charge.status !== "pending") return;
  const provider = await providerFor(env, charge.provider, order.tenant_id);
  await provider?.closeCharge(charge);
}
