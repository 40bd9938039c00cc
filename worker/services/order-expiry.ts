import type { PaidAtGateway } from "./charges";
import { releaseExpired } from "./orders";
import { settlePaymentNotice } from "./payment-callback";

/**
 * A payment the gateway took whose notice never reached us, found when its order was about to expire: credited as the
 * notice would have been (the gateway is asked once more inside), so the buyer gets the key, not an expired order.
 */
async function creditFound(env: Env, p: PaidAtGateway, defer: (work: Promise<unknown>) => void): Promise<void> {
  const notice = {
    type: "payment.succeeded" as const, paymentId: p.charge.id, orderId: p.order.id, amountCents: p.gateway.amountCents ?? -1,
    currency: p.charge.currency, gatewayTxnId: p.gateway.gatewayTxnId ?? "", payerAccount: p.gateway.payerAccount,
  };
  try {
    await settlePaymentNotice(env, p.provider, p.order.tenant_id, notice, defer);
    console.log(JSON.stringify({ at: "expiry_found_payment", orderId: p.order.id, provider: p.provider.name }));
  } catch (e) {
    // Left `created`: the next minute asks again, and after the grace the order expires (a later notice is refunded).
    console.error(JSON.stringify({ at: "expiry_credit_payment", orderId: p.order.id, error: e instanceof Error ? e.message : String(e) }));
  }
}

/** Cron: expires lapsed unpaid orders and credits the payments their gateways took unnoticed. Returns the expired count. */
export async function expireUnpaidOrders(env: Env): Promise<number> {
  const { expired, paid } = await releaseExpired(env, null);
  const deferred: Promise<unknown>[] = [];
  for (const p of paid) await creditFound(env, p, (work) => void deferred.push(work));
  await Promise.allSettled(deferred);
  return expired;
}
