import type { PaymentNotice } from "../payments/provider";
import { getPaymentById } from "../db/payments";
import { ApiError } from "../errors";
import { emitEvent } from "../queue/emit";
import { acceptPaymentNotice, deliverOrder } from "./fulfilment";
import { memberAfterPaid } from "./member-cron";
import { groupSeatPaid, isGroupOrder } from "./groups";
import { inviteAfterPaid } from "./invites";

/**
 * A verified gateway notice: settle the payment, then deliver — keys and coupons before answering (the buyer sees
 * them at once), upstream recharges in the background. A notice the state refuses is recorded for the brand.
 */
export async function settlePaymentNotice(env: Env, provider: string, notice: PaymentNotice, defer: (work: Promise<unknown>) => void) {
  const outcome = await acceptPaymentNotice(env, provider, notice).catch(async (e) => {
    if (e instanceof ApiError) {
      const payment = await getPaymentById(env.DB, notice.paymentId);
      if (payment) await emitEvent(env, { tenantId: payment.tenant_id, type: "payment_callback_refused", payload: { paymentId: notice.paymentId, reason: e.code } });
    }
    throw e;
  });
  let order = outcome.order;
  if (outcome.applied) {
    // A group-buy seat (拼团) is not delivered when paid: its team decides (services/groups.ts).
    if (isGroupOrder(order)) order = await groupSeatPaid(env, order);
    else if (outcome.needsAsyncDelivery) defer(deliverOrder(env, order));
    else order = await deliverOrder(env, order);
    // A paid membership card's gift pack and first monthly pack (the cron catches up should this not run).
    defer(memberAfterPaid(env, order));
    // An invitee's first paid order: both invite rewards (the cron retries should this fail).
    await inviteAfterPaid(env, order).catch((e) => console.error(JSON.stringify({ at: "invite_after_paid", orderId: order.id, error: e instanceof Error ? e.message : String(e) })));
  }
  return { applied: outcome.applied, orderStatus: order.status };
}
