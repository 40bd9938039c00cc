import { env, exports } from "cloudflare:workers";
import { inject } from "vitest";
import { currentConsentVersion } from "../../schema/privacy";
import { createOrder } from "../../worker/services/orders";
import { api, createTenant } from "./helpers";

export const FUTURE = { kind: "fixed" as const, validFrom: "2026-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" };

/** A tenant with one published card-key product holding `keys` keys. */
export async function shopWithKeys(keys: number, extra: Record<string, unknown> = {}) {
  const { tenant, adminKey } = await createTenant("Shop");
  const product = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "card_key", name: "视频会员月卡", priceCents: 1990, faceValueCents: 2500, validity: FUTURE, scope: "视频平台会员", tutorial: "打开 App → 我的 → 兑换", ...extra },
  });
  if (product.status !== 201) throw new Error(`product: ${product.status} ${JSON.stringify(product.body)}`);
  if (keys) {
    const rows = Array.from({ length: keys }, (_, i) => ({ line: i + 2, secret: `KEY-${tenant.id}-${i}-${crypto.randomUUID()}` }));
    const imp = await api(`/products/${product.body.id}/keys/import`, { method: "POST", token: adminKey, json: { rows } });
    if (imp.status !== 200) throw new Error(`import: ${imp.status} ${JSON.stringify(imp.body)}`);
  }
  const pub = await api(`/products/${product.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
  if (pub.status !== 200) throw new Error(`publish: ${pub.status} ${JSON.stringify(pub.body)}`);
  return { tenant, adminKey, productId: product.body.id as string, slug: tenant.slug as string };
}

const rnd = () => Math.floor(Math.random() * 256);
/** A storefront request with a cookie jar of one, from a random client IP unless `ip` is given. */
export async function shop(slug: string, path: string, init: RequestInit & { json?: unknown; cookie?: string; idem?: string; ip?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set("cf-connecting-ip", init.ip ?? `10.${rnd()}.${rnd()}.${rnd()}`);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.idem) headers.set("idempotency-key", init.idem);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await exports.default.fetch(`http://kaquan.test/api/v1/shop/${slug}${path}`, {
    ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const setCookie = res.headers.get("set-cookie");
  const cookie = setCookie ? setCookie.split(";")[0]! : init.cookie;
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, cookie };
}

export async function pay(checkoutUrl: string) {
  const res = await exports.default.fetch(`http://kaquan.test${checkoutUrl}/pay`, { method: "POST" });
  return { status: res.status, body: (await res.json()) as any };
}

/** A direct-recharge product routed to a cheap and a dear supplier of the sandbox (unique names per call). */
export async function rechargeShop() {
  const { adminKey, tenant } = await createTenant();
  const tag = crypto.randomUUID().slice(0, 8);
  const p = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "direct_recharge", name: "话费直充", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "大陆手机号", stockTotal: 100 },
  });
  await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
  const cheap = `cheap-${tag}`;
  const dear = `dear-${tag}`;
  for (const [name, cost] of [[cheap, 2900], [dear, 2970]] as const) {
    const s = await api("/suppliers", { method: "POST", token: adminKey, json: { name, baseUrl: `${inject("supplierUrl")}/${name}`, products: [{ productId: p.body.id, sku: "PHONE-30", costCents: cost }] } });
    if (s.status !== 200) throw new Error(`supplier: ${s.status} ${JSON.stringify(s.body)}`);
  }
  return { adminKey, tenant, tenantId: tenant.id as string, productId: p.body.id as string, cheap, dear };
}

/**
 * Tests that hand a notice straight to acceptPaymentNotice skip the gateway: this books the charge in the sandbox
 * gateway's books first, as a real payment would, so refunds and queries through the gateway find it.
 */
export async function paidAtSandbox<N extends { gatewayTxnId: string; paymentId: string; amountCents: number }>(e: Pick<Env, "DB">, n: N): Promise<N> {
  const { bookSandboxTxn } = await import("../../worker/db/sandbox-gateway");
  const { getPaymentById } = await import("../../worker/db/payments");
  const payment = await getPaymentById(e.DB, n.paymentId);
  if (payment) {
    await bookSandboxTxn(e.DB, {
      gateway_ref: n.gatewayTxnId, tenant_id: payment.tenant_id, kind: "payment", merchant_ref: n.paymentId, payment_id: n.paymentId,
      amount_cents: n.amountCents, fee_cents: 0, state: "paid", payer_account: null,
    });
  }
  return n;
}

/** A published coupon product of this tenant (config.coupon as given, online unless said). */
export async function couponProduct(adminKey: string, coupon: Record<string, unknown>, name = "优惠券") {
  const p = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "coupon", name, priceCents: 0, faceValueCents: 0, validity: FUTURE, scope: "商城", config: { coupon: { online: true, ...coupon } } },
  });
  if (p.status !== 201) throw new Error(`coupon: ${p.status} ${JSON.stringify(p.body)}`);
  const pub = await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
  if (pub.status !== 200) throw new Error(`publish: ${pub.status} ${JSON.stringify(pub.body)}`);
  return p.body.id as string;
}

/** Issues one coupon to a buyer the usual way (a free order of the coupon product) and returns the voucher id. */
export async function issueCoupon(tenantId: string, buyerId: string, couponId: string): Promise<string> {
  const res = await createOrder(env, { tenantId, buyerId, productId: couponId, idempotencyKey: `issue-${buyerId}-${couponId}`, unitPriceCents: 0 });
  const v = await env.DB.prepare("SELECT id FROM vouchers WHERE tenant_id = ? AND order_id = ?").bind(tenantId, res.order.id).first<{ id: string }>();
  if (!v) throw new Error(`no voucher: ${res.order.status} ${res.order.failure_reason}`);
  return v.id;
}

/** A phone buyer of the store (signed in through the SMS sandbox): their cookie. */
export async function phoneBuyer(slug: string, phone: string) {
  await shop(slug, "/otp", { method: "POST", json: { phone } });
  const sms = await shop(slug, `/dev/sms?phone=${phone}`);
  const code = /(\d{6})/.exec(sms.body.messages.at(-1).body)![1];
  const r = await shop(slug, "/otp/verify", { method: "POST", json: { phone, code, consent: { version: currentConsentVersion("phone_sign_in"), accepted: true } } });
  if (r.status !== 200) throw new Error(`sign-in: ${r.status} ${JSON.stringify(r.body)}`);
  return r.cookie!;
}
