import { creditPaidAtGateway } from "./gateway-credit";
import { releaseExpired } from "./orders";

/**
 * Cron: expires lapsed unpaid orders and credits the payments their gateways took unnoticed (found when the order was
 * about to expire: the buyer gets the key, not an expired order). Returns the expired count.
 */
export async function expireUnpaidOrders(env: Env): Promise<number> {
  const { expired, paid } = await releaseExpired(env, null);
  for (const p of paid) await creditPaidAtGateway(env, p, "expiry_found_payment");
  return expired;
}
