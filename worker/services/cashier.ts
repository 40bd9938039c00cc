/** The cashier (收银台): the buyer picks a gateway for an unpaid order's charge and is sent to pay there. */
import { getPaymentById, setChargeProviderStmt, type PaymentRow } from "../db/payments";
import { getTenant } from "../db/tenants";
import { isDevelopment } from "../domain/deploy-config";
import { ApiError } from "../errors";
import { checkoutHtml, type CashierView } from "../payments/checkout-page";
import type { PaymentProvider } from "../payments/provider";
import { providerFor, providersForTenant } from "../payments/provider-registry";
import { couponsOfOrder } from "./coupons";
import { paymentForCheckout } from "./fulfilment";
import { ASK_AFTER_MS, creditIfPaidAtGateway, creditPaidAtGateway, orderPaid } from "./gateway-credit";
import type { OrderRow } from "../db/orders";
import { memberDiscountOfOrder } from "../db/membership";

const payable = (status: string) => status === "created";

async function returnUrl(env: Env, tenantId: string, orderId: string) {
  const tenant = await getTenant(env.DB, tenantId);
  return `/shop/order/?t=${encodeURIComponent(tenant?.slug ?? "")}&o=${encodeURIComponent(orderId)}`;
}

/** The cashier page for a charge (404 for an unknown payment). */
export async function cashierPage(env: Env, paymentId: string, origin: string): Promise<string> {
  const { payment, order, product } = await paymentForCheckout(env, paymentId);
  const methods = (await providersForTenant(env, payment.tenant_id, origin)).filter((p) => p.name !== "sandbox");
  return checkoutHtml({
    paymentId: payment.id, title: product?.name ?? "订单", amountCents: payment.amount_cents, status: order.status,
    returnUrl: await returnUrl(env, payment.tenant_id, order.id),
    methods: methods.map((m) => ({ name: m.name, label: m.label })),
    sandboxPayUrl: isDevelopment(env) ? `/api/v1/pay/sandbox/checkout/${payment.id}/pay` : null,
    breakdown: await breakdownOf(env, order, payment),
  });
}

/**
 * The order's amount at list price, then what came off it — the member price, its coupons, the balance part — so
 * the lines add up to the charge; null when the charge is the whole of it.
 */
async function breakdownOf(env: Env, order: OrderRow, payment: PaymentRow): Promise<CashierView["breakdown"]> {
  const [coupons, member] = await Promise.all([
    (order.discount_cents ?? 0) > 0 ? couponsOfOrder(env, order.tenant_id, order.id).then((cs) => cs.filter((c) => c.state === "applied")) : [],
    memberDiscountOfOrder(env.DB, order.tenant_id, order.id),
  ]);
  const listUnit = member ? Math.max(member.list_unit_cents, order.unit_price_cents) : order.unit_price_cents;
  const memberOff = (listUnit - order.unit_price_cents) * order.quantity;
  const balance = order.amount_cents - payment.amount_cents;
  if (!coupons.length && balance <= 0 && memberOff <= 0) return null;
  const zhe = member ? (100 - member.percent_off) / 10 : 10;
  return {
    subtotalCents: listUnit * order.quantity, quantity: order.quantity,
    deductions: [
      ...(memberOff > 0 ? [{ label: `会员价优惠（${zhe} 折）`, en: `Member price (${member!.percent_off}% off)`, cents: memberOff }] : []),
      ...coupons.map((c) => ({ label: c.title ?? "优惠券", en: c.title ?? "Coupon", cents: c.discountCents })),
      ...(balance > 0 ? [{ label: "余额抵扣", en: "Paid from balance", cents: balance }] : []),
    ],
  };
}

/** A gateway that failed or answered badly: the buyer may retry, and nothing of ours changed. */
const unavailable = (label: string) => new ApiError(502, "gateway_unavailable", `${label} could not be reached or answered badly; please try again`);

/**
 * Before the charge moves to another gateway, the one it was opened at must say it was not paid there, after it was
 * closed (so it cannot be paid there later). A charge the buyer already paid there is refused (its notice settles the
 * order), and a gateway that cannot be asked keeps the charge where it is: one order, one payment.
 */
async function leaveGateway(env: Env, previous: PaymentProvider, payment: PaymentRow, order: OrderRow) {
  // Our own sandbox gateway is never closed (the buyer may come back to it); it is only asked.
  const closed = previous.name === "sandbox" ? null : await previous.closeCharge(payment).then(() => null, (e: unknown) => e);
  const there = await previous.queryCharge(payment).catch(() => null);
  if (there && (there.state === "paid" || there.state === "refunded")) {
    // Paid there, its notice lost: credited now, not when the order would have expired.
    if (there.state === "paid" && previous.name !== "sandbox") await creditPaidAtGateway(env, { order, charge: payment, provider: previous, gateway: there }, "cashier_found_payment");
    throw ApiError.conflict("paid_elsewhere", `This order was already paid with ${previous.label}; the payment is being confirmed, do not pay again`);
  }
  if (!there || closed) throw unavailable(previous.label);
}

/**
 * The buyer chose `providerName`: the charge is paid through it from now on (a charge opened at another gateway
 * before is closed there and confirmed unpaid, so it cannot be paid twice), and the gateway says where the browser goes.
 */
export async function startPayment(env: Env, paymentId: string, providerName: string, origin: string, clientIp?: string) {
  const { payment, order, product } = await paymentForCheckout(env, paymentId);
  if (payment.status !== "pending" || !payable(order.status)) throw ApiError.conflict("not_payable", `An order in status '${order.status}' cannot be paid`);
  const provider = await providerFor(env, providerName, payment.tenant_id, origin);
  if (!provider) throw ApiError.notFound("Payment method");
  let charge = payment;
  // Back at the cashier a while after ordering: the gateway may have the money already (its notice lost), and some
  // (Alipay) would open their page again on a paid charge rather than refuse it. Asked first, credited if so.
  if (payment.provider === provider.name && Date.now() - Date.parse(order.created_at) > ASK_AFTER_MS) {
    if (await creditIfPaidAtGateway(env, "cashier_found_payment", order, payment, provider)) throw orderPaid();
  }
  if (payment.provider !== provider.name) {
    const previous = await providerFor(env, payment.provider, payment.tenant_id, origin);
    if (previous) await leaveGateway(env, previous, payment, order);
    const [moved] = await env.DB.batch([setChargeProviderStmt(env.DB, payment.tenant_id, payment.id, provider.name)]);
    charge = (moved!.results[0] as typeof payment | undefined) ?? (await getPaymentById(env.DB, payment.id))!;
  }
  const ctx = { origin, title: product?.name ?? "订单", returnUrl: new URL(await returnUrl(env, payment.tenant_id, order.id), origin).toString(), clientIp };
  return provider.startPayment(charge, ctx).catch(async (e: unknown) => {
    if (e instanceof ApiError) throw e;
    console.error(JSON.stringify({ at: "start_payment", provider: provider.name, paymentId, error: e instanceof Error ? e.message : String(e) }));
    // A gateway that refuses to open a charge it was already paid on (WeChat Pay's ORDERPAID): credit it now.
    if (await creditIfPaidAtGateway(env, "cashier_found_payment", order, charge, provider)) throw orderPaid();
    throw unavailable(provider.label);
  });
}
