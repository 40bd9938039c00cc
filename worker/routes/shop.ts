import { createRoute, z } from "@hono/zod-openapi";
import { Buyer, OtpRequestInput, OtpVerifyInput } from "../../schema/buyers";
import { Product, PublicBundleItem } from "../../schema/catalog";
import { ErrorBody } from "../../schema/errors";
import { CreateOrderInput, IdempotencyKey, MyOrder, Order, OrderView } from "../../schema/orders";
import { Voucher, VoucherList } from "../../schema/vouchers";
import { newId } from "../domain/crypto";
import { isDevelopment } from "../domain/deploy-config";
import { ApiError } from "../errors";
import { buyerOrGuest, clearSessionCookie, ensureDeviceCookie, requireBuyer, setSessionCookie, shopper, shopperUnchecked } from "../middleware/shopper";
import { clientIp, enforceRateLimit, enforceRateLimits, clientIpKey } from "../middleware/rate-limit";
import { adoptSession, newSessionLimit, requestOtp, phoneHash, shopBuyer, signInWithOtp } from "../services/buyers";
import { embeddingOrigin, resolveAcquisition } from "../services/acquisition";
import { SessionInput, ShareResult, SubjectShareInput } from "../../schema/acquisition";
import { createSubjectShare } from "../services/shares";
import { CheckoutQuote, CheckoutQuoteInput } from "../../schema/coupons";
import { checkoutQuote } from "../services/coupons";
import {
  cancelOwnOrder, myOrders, myVouchers, placeShopOrder, sessionOrder, publishedProduct, publishedProducts,
} from "../services/shop";
import { readOutbox } from "../sms/sandbox";
import { createRouter, errors, json, jsonBody, optionalJsonBody } from "./router";
import { assertNotBlocked } from "../services/risk-gate";
import { deviceOfRequest } from "../domain/device-token";
import type { Context } from "hono";
import type { AppEnv } from "../types";

const tags = ["store"];
const SHARES_PER_MIN = 30; // per sharer, as the campaign share route
const middleware = [shopper];
const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const WithProduct = Tenant.extend({ productId: z.string().min(1).max(64) });
const WithOrder = Tenant.extend({ orderId: z.string().min(1).max(64) });
const PublicProduct = Product.omit({ tenantId: true, stockTotal: true, lowStockThreshold: true })
  .extend({ bundleItems: z.array(PublicBundleItem).optional().openapi({ description: "A bundle's items by name (what the buyer gets)" }) })
  .openapi("PublicProduct");
const Me = z.object({ buyer: Buyer.nullable() }).openapi("Me");
const common = { 400: errors[400], 403: json(ErrorBody, "blocked: the phone, device or network is on a block list"), 404: errors[404], 429: errors[429] };

const products = createRoute({
  method: "get", path: "/shop/{tenant}/products", tags, middleware, summary: "Published products of a store",
  request: { params: Tenant }, responses: { 200: json(z.object({ products: z.array(PublicProduct) }), "Products"), ...common },
});
const product = createRoute({
  method: "get", path: "/shop/{tenant}/products/{productId}", tags, middleware, summary: "One published product",
  request: { params: WithProduct }, responses: { 200: json(PublicProduct, "Product"), ...common },
});
const me = createRoute({
  method: "get", path: "/shop/{tenant}/me", tags, middleware, summary: "The signed-in or guest buyer (null when none)",
  request: { params: Tenant }, responses: { 200: json(Me, "Buyer"), ...common },
});
const guest = createRoute({
  method: "post", path: "/shop/{tenant}/guest", tags, middleware, summary: "Start a guest session (signed cookie); a new guest's acquisition (UTM, share code) may come in the body",
  request: { params: Tenant, ...optionalJsonBody(SessionInput) }, responses: { 200: json(Me, "Buyer"), ...common },
});
const otp = createRoute({
  method: "post", path: "/shop/{tenant}/otp", tags, middleware, summary: "Send a sign-in code by SMS (sandbox)",
  request: { params: Tenant, ...jsonBody(OtpRequestInput) },
  responses: { 200: json(z.object({ resendAfterS: z.number(), expiresInS: z.number() }), "Sent"), ...common },
});
const verify = createRoute({
  method: "post", path: "/shop/{tenant}/otp/verify", tags, middleware,
  summary: "Sign in with the code; a guest session is attached to the phone account",
  request: { params: Tenant, ...jsonBody(OtpVerifyInput) }, responses: { 200: json(Me, "Signed in"), ...common },
});
const adopt = createRoute({
  method: "post", path: "/shop/{tenant}/session", tags, middleware,
  summary: "Continue in this browser as the buyer of a campaign session token (the widget's pay link); with a buyer here already, a guest token's orders and vouchers move to that buyer",
  request: { params: Tenant, ...jsonBody(z.object({ token: z.string().min(10).max(400) }).strict()) },
  responses: { 200: json(Me, "The buyer of this browser"), ...common, 401: errors[401] },
});
const device = createRoute({
  method: "post", path: "/shop/{tenant}/device", tags, middleware,
  summary: "Bind this browser to a signed device cookie (kq_dev_<tenant>) if it has none; claims from the platform's pages send it for per-device limits",
  request: { params: Tenant }, responses: { 200: json(z.object({ ok: z.literal(true) }), "Bound"), ...common },
});
const logout = createRoute({
  method: "post", path: "/shop/{tenant}/logout", tags, middleware, summary: "Forget the session cookie",
  request: { params: Tenant }, responses: { 200: json(Me, "Signed out"), ...common },
});
const outbox = createRoute({
  method: "get", path: "/shop/{tenant}/dev/sms", tags, middleware,
  summary: "Development only: what the SMS sandbox sent to a number (not mounted in production)",
  request: { params: Tenant, query: z.object({ phone: OtpRequestInput.shape.phone }) },
  responses: { 200: json(z.object({ messages: z.array(z.object({ body: z.string(), createdAt: z.string() })) }), "Messages"), ...common },
});
const create = createRoute({
  method: "post", path: "/shop/{tenant}/orders", tags, middleware,
  summary: "Place an order (guest or signed in); Idempotency-Key makes a repeat return the same order",
  request: { params: Tenant, headers: z.object({ "idempotency-key": IdempotencyKey }), ...jsonBody(CreateOrderInput) },
  responses: {
    201: json(Order, "Created"), 200: json(Order, "The same order again"),
    409: json(ErrorBody, "Refused: sold out, limit, a coupon used meanwhile (coupon_unavailable), not applicable, its budget spent, or not_eligible (issues name the rule)"),
    422: json(ErrorBody, "The recharge account does not fit the product's format (issues name the field)"), ...common,
  },
});
const quote = createRoute({
  method: "post", path: "/shop/{tenant}/checkout/quote", tags, middleware,
  summary: "Coupons at checkout: the coupons I hold that apply to this order (each one's discount), the others with why, and the best combination",
  description: "Empty lists before a buyer session exists. Place the order with couponVoucherIds (POST …/orders).",
  request: { params: Tenant, ...jsonBody(CheckoutQuoteInput) }, responses: { 200: json(CheckoutQuote, "Quote"), ...common },
});
const orders = createRoute({
  method: "get", path: "/shop/{tenant}/orders", tags, middleware, summary: "My orders (the signed-in or guest buyer's own, this store only), newest first; unpaid ones carry checkoutUrl",
  request: { params: Tenant }, responses: { 200: json(z.object({ orders: z.array(MyOrder) }), "Orders"), 401: errors[401], ...common },
});
const order = createRoute({
  // The buyer is read with the order (services/shop.ts sessionOrder): buyers poll this until their key shows.
  method: "get", path: "/shop/{tenant}/orders/{orderId}", tags, middleware: [shopperUnchecked], summary: "One of my orders with its vouchers (keys after payment)",
  request: { params: WithOrder }, responses: { 200: json(OrderView, "Order"), 401: errors[401], ...common },
});
const cancel = createRoute({
  method: "post", path: "/shop/{tenant}/orders/{orderId}/cancel", tags, middleware, summary: "Cancel an unpaid order; its stock is released",
  request: { params: WithOrder }, responses: { 200: json(Order, "Cancelled"), 401: errors[401], 409: errors[409], ...common },
});
const share = createRoute({
  method: "post", path: "/shop/{tenant}/shares", tags, middleware,
  summary: "A share link (opaque ?share= code) for a campaign, product, group-buy team, assist request or invite programme of this store; records share_sent",
  description: "Needs the signed-in or guest buyer (POST …/guest first); 404 when the subject is not this store's.",
  request: { params: Tenant, ...jsonBody(SubjectShareInput) },
  responses: { 201: json(ShareResult, "The share link"), 401: errors[401], ...common },
});
const vouchers = createRoute({
  method: "get", path: "/shop/{tenant}/vouchers", tags, middleware, summary: "My vouchers with status, secret and tutorial",
  request: { params: Tenant }, responses: { 200: json(VoucherList, "Vouchers"), 401: errors[401], ...common },
});

/** The request's IP and device id, for the block lists. */
/** Who is asking, for the block lists: the client IP and the worker-signed device (a made-up header is no device). */
const requester = async (c: Context<AppEnv>) => ({
  ip: clientIp(c),
  deviceId: await deviceOfRequest(c.env.BUYER_SESSION_SECRET, c.var.shopper.tenantId, c.var.shopper.slug, c.req.raw.headers),
});

/** The edge's idea of the buyer's city (coupon city rules); none in local development. */
const requestCity = (c: Context<AppEnv>) => ((c.req.raw as { cf?: { city?: unknown } }).cf?.city as string | undefined) ?? null;

export const shopRoutes = createRouter()
  .openapi(products, async (c) => c.json(await publishedProducts(c.env, c.var.shopper.tenantId), 200))
  .openapi(product, async (c) => c.json(await publishedProduct(c.env, c.var.shopper.tenantId, c.req.valid("param").productId), 200))
  .openapi(me, async (c) => c.json({ buyer: await shopBuyer(c.env, c.var.shopper.tenantId, c.var.shopper.buyerId) }, 200))
  .openapi(guest, async (c) => {
    const id = await buyerOrGuest(c, c.req.valid("json").acquisition);
    return c.json({ buyer: (await shopBuyer(c.env, c.var.shopper.tenantId, id))! }, 200);
  })
  .openapi(otp, async (c) => {
    await enforceRateLimit(c.env, "otp-ip", clientIpKey(c), 20, 3600);
    const { phone } = c.req.valid("json");
    await assertNotBlocked(c.env, c.var.shopper.tenantId, "otp", { ...(await requester(c)), phoneHash: await phoneHash(c.env, phone) });
    return c.json(await requestOtp(c.env, c.var.shopper.tenantId, phone), 200);
  })
  .openapi(verify, async (c) => {
    const { tenantId, buyerId } = c.var.shopper;
    await enforceRateLimit(c.env, "otp-verify-ip", clientIpKey(c), 60, 3600);
    const { phone, code, acquisition, consent } = c.req.valid("json");
    await assertNotBlocked(c.env, tenantId, "otp", { ...(await requester(c)), phoneHash: await phoneHash(c.env, phone), buyerId });
    const { row, buyer } = await signInWithOtp(c.env, tenantId, buyerId, { phone, code, consent, acquisition }, embeddingOrigin(c.req.raw.headers, c.req.url));
    await setSessionCookie(c, row);
    return c.json({ buyer }, 200);
  })
  .openapi(adopt, async (c) => {
    const { tenantId, buyerId } = c.var.shopper;
    const took = await adoptSession(c.env, tenantId, buyerId, c.req.valid("json").token);
    if (!took) throw ApiError.unauthorized("The session is not valid for this store");
    if (took.adopted) await setSessionCookie(c, took.adopted);
    return c.json({ buyer: await shopBuyer(c.env, tenantId, took.buyerId) }, 200);
  })
  .openapi(device, async (c) => {
    await ensureDeviceCookie(c);
    return c.json({ ok: true as const }, 200);
  })
  .openapi(logout, async (c) => {
    clearSessionCookie(c);
    return c.json({ buyer: null }, 200);
  })
  .openapi(create, async (c) => {
    // Unpaid orders hold stock: a per-IP ceiling keeps one client from hoarding it with throwaway guest sessions. A
    // new guest's session counts against its own per-IP limit in the same call to the limiter.
    const newGuest = !c.var.shopper.buyerId;
    const orderLimit = { bucket: "order-ip", limit: Number(c.env.ORDER_IP_LIMIT_PER_MIN) || 120, windowS: 60 };
    await enforceRateLimits(c.env, clientIpKey(c), newGuest ? [orderLimit, newSessionLimit(c.env)] : [orderLimit]);
    const input = c.req.valid("json");
    await assertNotBlocked(c.env, c.var.shopper.tenantId, "order", { ...(await requester(c)), buyerId: c.var.shopper.buyerId });
    // Guest checkout: the guest row goes in with the order's first D1 batch (one round trip less). The cookie is set
    // up front as before; should that batch not run, it names no buyer and the next request starts a new guest.
    const buyerId = c.var.shopper.buyerId ?? newId("byr");
    if (newGuest) await setSessionCookie(c, { id: buyerId, kind: "guest" }, { counted: true });
    const res = await placeShopOrder(c.env, {
      tenantId: c.var.shopper.tenantId, buyerId, productId: input.productId, quantity: input.quantity,
      idempotencyKey: c.req.valid("header")["idempotency-key"], rechargeAccount: input.rechargeAccount ?? null, newGuest, storedValueCents: input.storedValueCents,
      couponVoucherIds: input.couponVoucherIds, city: requestCity(c),
      acquisition: newGuest ? await resolveAcquisition(c.env, c.var.shopper.tenantId, input.acquisition, embeddingOrigin(c.req.raw.headers, c.req.url)) : undefined,
    });
    return res.created ? c.json(res.order, 201) : c.json(res.order, 200);
  })
  .openapi(quote, async (c) => c.json(await checkoutQuote(c.env, c.var.shopper.tenantId, c.var.shopper.buyerId, c.req.valid("json"), requestCity(c)), 200))
  .openapi(orders, async (c) => c.json({ orders: await myOrders(c.env, c.var.shopper.tenantId, requireBuyer(c)) }, 200))
  .openapi(order, async (c) => c.json(await sessionOrder(c.env, c.var.shopper.tenantId, c.var.shopper.sessionBuyerId, c.req.valid("param").orderId), 200))
  .openapi(cancel, async (c) => c.json(await cancelOwnOrder(c.env, c.var.shopper.tenantId, c.req.valid("param").orderId, requireBuyer(c)), 200))
  .openapi(share, async (c) => {
    const sharerId = requireBuyer(c);
    await enforceRateLimit(c.env, "share", sharerId, SHARES_PER_MIN, 60);
    const { mechanism, subjectId, channel } = c.req.valid("json");
    const { tenantId, slug } = c.var.shopper;
    const deviceId = await deviceOfRequest(c.env.BUYER_SESSION_SECRET, tenantId, slug, c.req.raw.headers);
    return c.json(await createSubjectShare(c.env, { tenantId, slug, mechanism, subjectId, sharerId, channel: channel ?? null, deviceId }), 201);
  })
  .openapi(vouchers, async (c) => c.json({ vouchers: await myVouchers(c.env, c.var.shopper.tenantId, requireBuyer(c)) }, 200));

/** The SMS sandbox's outbox: development only (app.ts does not mount it in production). */
export const smsOutboxRoutes = createRouter().openapi(outbox, async (c) => {
  if (!isDevelopment(c.env)) throw ApiError.notFound("Route");
  const rows = await readOutbox(c.env.DB, c.var.shopper.tenantId, await phoneHash(c.env, c.req.valid("query").phone));
  return c.json({ messages: rows.map((r) => ({ body: r.body, createdAt: r.created_at })) }, 200);
});
