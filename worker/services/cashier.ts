/** The cashier (收银台): the buyer picks a gateway for an unpaid order's charge and is sent to pay there. */
import { getPaymentById, setChargeProviderStmt } from "../db/payments";
import { getTenant } from "../db/tenants";
import { isDevelopment } from "../domain/deploy-config";
import { ApiError } from "../errors";
import { checkoutHtml } from "../payments/checkout-page";
import { providerFor, providersForTenant } from "../payments/provider-registry";
import { paymentForCheckout } from "./fulfilment";

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
  });
}

/**
 * The buyer chose `providerName`: the charge is paid through it from now on (a charge opened at another gateway
 * before is closed there, so it cannot be paid twice), and the gateway says where the browser goes.
 */
export async function startPayment(env: Env, paymentId: string, providerName: string, origin: string, clientIp?: string) {
  const { payment, order, product } = await paymentForCheckout(env, paymentId);
  if (payment.status !== "pending" || !payable(order.status)) throw ApiError.conflict("not_payable", `An order in status '${order.status}' cannot be paid`);
  const provider = await providerFor(env, providerName, payment.tenant_id, origin);
  if (!provider) throw ApiError.notFound("Payment method");
  let charge = payment;
  if (payment.provider !== provider.name) {
    const previous = await providerFor(env, payment.provider, payment.tenant_id, origin);
    const [moved] = await env.DB.batch([setChargeProviderStmt(env.DB, payment.tenant_id, payment.id, provider.name)]);
    charge = (moved!.results[0] as typeof payment | undefined) ?? (await getPaymentById(env.DB, payment.id))!;
    if (previous && previous.name !== "sandbox") await previous.closeCharge(payment).catch(() => undefined);
  }
  return provider.startPayment(charge, { origin, title: product?.name ?? "订单", returnUrl: new URL(await returnUrl(env, payment.tenant_id, order.id), origin).toString(), clientIp });
}
