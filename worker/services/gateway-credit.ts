/**
 * A payment the gateway took whose notice never reached us (lost, or our runtime died while taking it): credited as
 * the notice would have been, wherever we learn of it — the buyer cancelling, the cashier opening the charge again,
 * or the order about to expire (services/order-expiry.ts). `settlePaymentNotice` asks the gateway once more inside.
 */
import { getChargeOfOrder, type PaymentRow } from "../db/payments";
import type { OrderRow } from "../db/orders";
import type { PaymentProvider } from "../payments/provider";
import { providerFor } from "../payments/provider-registry";
import type { PaidAtGateway } from "./charges";
import { settlePaymentNotice } from "./payment-callback";
import { ApiError } from "../errors";

/** Past this age an unpaid order's gateway is asked again (by its page, or the cashier opening the same gateway). */
export const ASK_AFTER_MS = 20_000;

/** The answer to a buyer whose order turned out to be paid (cancelling it, or paying it again). */
export const orderPaid = () => ApiError.conflict("order_paid", "This order was paid already; it is being delivered, so it cannot be cancelled or paid again");

export async function creditPaidAtGateway(env: Env, p: PaidAtGateway, at: string): Promise<boolean> {
  const notice = {
    type: "payment.succeeded" as const, paymentId: p.charge.id, orderId: p.order.id, amountCents: p.gateway.amountCents ?? -1,
    currency: p.charge.currency, gatewayTxnId: p.gateway.gatewayTxnId ?? "", payerAccount: p.gateway.payerAccount,
  };
  const deferred: Promise<unknown>[] = [];
  try {
    await settlePaymentNotice(env, p.provider, p.order.tenant_id, notice, (work) => void deferred.push(work));
    await Promise.allSettled(deferred);
    console.log(JSON.stringify({ at, orderId: p.order.id, provider: p.provider.name, problem: "payment_found_without_notice" }));
    return true;
  } catch (e) {
    // Left as it was: the expiry asks again each minute, and a later notice settles it as usual.
    console.error(JSON.stringify({ at, orderId: p.order.id, error: e instanceof Error ? e.message : String(e) }));
    return false;
  }
}

/**
 * Asks the gateway of an unpaid order's open charge whether it was paid (closing it there first with `close`, so
 * nothing can be paid after the answer). Null when there is no such charge, it was not paid, or the gateway cannot be
 * asked; our own sandbox gateway is never asked (its payment posts its notice in the same request).
 */
async function paidAtGateway(
  env: Env, order: OrderRow, charge?: PaymentRow | null, provider?: PaymentProvider | null, close = false,
): Promise<PaidAtGateway | null> {
  const c = charge ?? (await getChargeOfOrder(env.DB, order.tenant_id, order.id));
  if (!c || c.status !== "pending" || c.provider === "sandbox") return null;
  const p = provider ?? (await providerFor(env, c.provider, order.tenant_id));
  if (!p) return null;
  if (close) await p.closeCharge(c).catch(() => undefined);
  const gateway = await p.queryCharge(c).catch(() => null);
  return gateway?.state === "paid" ? { order, charge: c, provider: p, gateway } : null;
}

/** paidAtGateway, then credited: true when the order was found paid and is now settled as its notice would have. */
export async function creditIfPaidAtGateway(
  env: Env, at: string, order: OrderRow, charge?: PaymentRow | null, provider?: PaymentProvider | null, close = false,
): Promise<boolean> {
  const found = await paidAtGateway(env, order, charge, provider, close).catch(() => null);
  return found ? creditPaidAtGateway(env, found, at) : false;
}
