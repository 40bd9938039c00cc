import type { GatewayCharge, PaymentNotice, PaymentProvider } from "../payments/provider";
import { readNotice } from "../db/fulfilment";
import { getPaymentById, type PaymentRow } from "../db/payments";
import { ApiError } from "../errors";
import { dispatchAfterDeferred, emitEvent, recordOnce } from "../queue/emit";
import { acceptPaymentNotice, deliverOrder } from "./fulfilment";
import { memberAfterPaid } from "./member-cron";
import { groupSeatPaid, isGroupOrder } from "./groups";
import { inviteAfterPaid } from "./invites";
import { refundNotice } from "./refunds";

/** Where a notice arrived: the gateway and, for a brand's connected account, that account (its notify URL). */
export interface NoticeOrigin {
  provider: string;
  accountId?: string;
}

/**
 * Refuses a notice with nothing changed, and records why for the brand, once per payment and reason: the gateway
 * retries a refused notice for hours (WeChat Pay some 15 times in a day), which is one refusal, not fifteen.
 */
async function refuse(env: Env, paymentId: string, error: ApiError, at: NoticeOrigin): Promise<never> {
  const payment = await getPaymentById(env.DB, paymentId);
  if (payment) await recordRefusedNotice(env, payment.tenant_id, at, error.code, paymentId);
  throw error;
}

const originFields = (at: NoticeOrigin) => ({ provider: at.provider, ...(at.accountId ? { accountId: at.accountId } : {}) });

/**
 * Records a refused notice for a brand that is not the one a payment row names: the brand whose notify URL it reached
 * (a notice that does not verify there, or one naming no payment of its own) or the brand whose payment a notice
 * names at another account's URL. Anyone can post to a notify URL, so these are recorded once per brand, account,
 * payment (or minute, when there is none) and reason: a flood of them is one record, not an event each.
 */
export async function recordRefusedNotice(env: Env, tenantId: string, at: NoticeOrigin, reason: string, paymentId?: string) {
  const key = [tenantId, at.provider, at.accountId ?? "", paymentId ?? `t${Math.floor(Date.now() / 60_000)}`, reason];
  const payload = { ...(paymentId ? { paymentId } : {}), reason, ...originFields(at) };
  await recordOnce(env, "evpcr", key, { tenantId, type: "payment_callback_refused", payload });
}

/**
 * A verified notice at a brand's account URL that names no charge of that brand: refused as unknown (404) whether the
 * payment is another brand's or does not exist, so the account's brand learns nothing of other brands'. Both brands
 * see the attempt: the URL's brand as `unknown_payment`, the payment's brand (if any) as `wrong_account`.
 */
async function foreignNotice(env: Env, tenantId: string, at: NoticeOrigin, notice: PaymentNotice, owner: PaymentRow | undefined): Promise<never> {
  const paymentId = notice.type === "refund.succeeded" ? notice.refundId ?? notice.paymentId : notice.paymentId;
  console.warn(JSON.stringify({ at: "payment_callback", refused: "foreign_notice", provider: at.provider, accountId: at.accountId, tenantId, paymentId, ownerTenantId: owner?.tenant_id ?? null }));
  await recordRefusedNotice(env, tenantId, at, notice.type === "refund.succeeded" ? "unknown_refund" : "unknown_payment", paymentId);
  // The owner's record does not name the other account: that is another brand's.
  if (owner && owner.tenant_id !== tenantId) await recordRefusedNotice(env, owner.tenant_id, { provider: at.provider }, "wrong_account", paymentId);
  throw ApiError.notFound(notice.type === "refund.succeeded" ? "Refund" : "Payment");
}

/**
 * The buyer paid at a gateway the charge had already left (it moved to another one, which may have been paid too): the
 * gateway confirms the money, so it goes back there under one refund id per gateway and charge (a repeated notice asks
 * again under the same id, never twice), and the brand is alerted. Anything else is refused as a notice for a charge
 * still at this gateway is, and recorded for the brand: a notice this gateway signed for money it does not confirm is
 * a forgery or a gateway's fault, whichever gateway the charge is at now. `gateway`: its answer, asked only for a
 * notice that matches our record (null: not asked, or no answer).
 */
async function refundStrayCharge(env: Env, provider: PaymentProvider, payment: PaymentRow, notice: PaymentNotice, gateway: GatewayCharge | null, orderStatus: string, at: NoticeOrigin) {
  if (payment.order_id !== notice.orderId) await refuse(env, payment.id, ApiError.badRequest("order_mismatch", "The callback names another order"), at);
  if (payment.amount_cents !== notice.amountCents || payment.currency !== notice.currency) {
    await refuse(env, payment.id, ApiError.badRequest("amount_mismatch", "The callback amount differs from the amount charged"), at);
  }
  if (!gateway) await refuse(env, payment.id, ApiError.conflict("gateway_unreachable", "The gateway could not be asked to confirm this payment; retry later"), at);
  if (gateway!.state !== "paid" || gateway!.amountCents !== notice.amountCents) {
    await refuse(env, payment.id, ApiError.conflict("gateway_unconfirmed", `The gateway does not confirm this payment (it says ${gateway!.state})`), at);
  }
  const refundId = `rfx_${provider.name}_${payment.id}`;
  const refund = await provider.refund(payment, notice.amountCents, refundId, "重复支付，原路退回").catch(() => null);
  if (!refund?.ok) await refuse(env, payment.id, new ApiError(502, "refund_failed", "The gateway did not take back a payment made for a charge that had moved to another gateway; retry later"), at);
  await emitEvent(env, {
    eventId: `evpx_${provider.name}_${payment.id}`, tenantId: payment.tenant_id, type: "alert",
    payload: { kind: "stray_payment_refunded", orderId: payment.order_id, provider: provider.name, refundId, amountCents: notice.amountCents },
  });
  return { applied: false, orderStatus };
}

/**
 * A verified gateway notice. A payment is credited only after the gateway itself, asked by us, says the charge is paid
 * with that amount (a callback is a hint; the query is the truth). Then the payment is settled and delivered — keys and
 * coupons before answering (the buyer sees them at once), upstream recharges in the background. `tenantId`: the
 * account the callback URL named (null for the development sandbox, whose one key covers every tenant); `accountId`
 * that account, named in the brand's records of a refused notice.
 */
export async function settlePaymentNotice(env: Env, provider: PaymentProvider, tenantId: string | null, notice: PaymentNotice, defer: (work: Promise<unknown>) => void, accountId?: string) {
  const at: NoticeOrigin = { provider: provider.name, accountId };
  if (notice.type === "refund.succeeded") {
    const known = notice.refundId ? await refundNotice(env, provider, tenantId, notice.refundId, notice.refundRef) : false;
    if (!known) {
      const owner = notice.refundId ? await getPaymentById(env.DB, notice.refundId) : null;
      if (tenantId) await foreignNotice(env, tenantId, at, notice, owner ?? undefined);
      throw ApiError.notFound("Refund");
    }
    return { applied: true, orderStatus: "refund_notice" };
  }
  // The gateway is asked while our record is read: the query is keyed on the payment id the signed notice names, and
  // on a real gateway it is the slower of the two (a round trip to WeChat Pay or Alipay). Its answer counts only for
  // a pending payment that matches the notice; a repeat notice for a settled one just asked once for nothing.
  const asked = provider.queryCharge({ id: notice.paymentId }).catch(() => null);
  // One read serves the checks here and the acceptance (the payment, its order, product and reserved keys).
  const read = await readNotice(env.DB, notice.paymentId);
  const payment = read[0]!.results[0] as PaymentRow | undefined;
  if (!payment || (tenantId && payment.tenant_id !== tenantId) || payment.kind !== "charge") {
    if (tenantId) await foreignNotice(env, tenantId, at, notice, payment);
    throw ApiError.notFound("Payment");
  }
  // Asked only for a notice that matches our own record (another order or amount is refused below, by its own code).
  const matches = payment.order_id === notice.orderId && payment.amount_cents === notice.amountCents && payment.currency === notice.currency;
  if (payment.provider !== provider.name) {
    const order = read[1]!.results[0] as { status: string } | undefined;
    return refundStrayCharge(env, provider, payment, notice, matches ? await asked : null, order?.status ?? "unknown", at);
  }
  if (payment.status === "pending" && matches) {
    const gateway = await asked;
    if (!gateway) await refuse(env, payment.id, ApiError.conflict("gateway_unreachable", "The gateway could not be asked to confirm this payment; retry later"), at);
    if (gateway!.state !== "paid" || gateway!.amountCents !== notice.amountCents || (gateway!.gatewayTxnId && gateway!.gatewayTxnId !== notice.gatewayTxnId)) {
      await refuse(env, payment.id, ApiError.conflict("gateway_unconfirmed", `The gateway does not confirm this payment (it says ${gateway!.state})`), at);
    }
  }
  const outcome = await acceptPaymentNotice(env, provider.name, notice, read).catch(async (e) => {
    if (e instanceof ApiError) await refuse(env, notice.paymentId, e, at);
    throw e;
  });
  let order = outcome.order;
  if (outcome.applied) {
    // A group-buy seat (拼团) is not delivered when paid: its team decides (services/groups.ts).
    if (isGroupOrder(order)) order = await groupSeatPaid(env, order);
    // An upstream recharge finishes after the answer: its delivery events are dispatched when it does.
    else if (outcome.needsAsyncDelivery) defer(deliverOrder(env, order).finally(() => dispatchAfterDeferred(env)));
    else order = await deliverOrder(env, order);
    // A paid membership card's gift pack and first monthly pack (the cron catches up should this not run).
    // Each only when the payment's batch says it applies (followUps), saving a read per order otherwise.
    if (outcome.followUps?.paidCard !== false) defer(memberAfterPaid(env, order).finally(() => dispatchAfterDeferred(env)));
    // An invitee's first paid order: both invite rewards (the cron retries should this fail).
    if (outcome.followUps?.invite !== false) await inviteAfterPaid(env, order).catch((e) => console.error(JSON.stringify({ at: "invite_after_paid", orderId: order.id, error: e instanceof Error ? e.message : String(e) })));
  }
  return { applied: outcome.applied, orderStatus: order.status };
}
